import { decodeVector, flattenObservation, vectorLabel } from '../../firmware-profiles/src/index.js';
import { disposeAll, loadProfilesReporting } from '../load-profiles-reporting.js';

/** `sensorbro demo --decoder`: decodes every profile's example payloads, as a technician would see them. */
export async function runDecoderShowcase(): Promise<number> {
  const loaded = await loadProfilesReporting();
  try {
    for (const profile of loaded.profiles.values()) {
      process.stdout.write(`\n${profile.id} (${profile.source.vendor} ${profile.source.model}) → ${profile.standards.join(', ')}\n`);
      for (const vector of profile.source.vectors) {
        const params = profile.prepareParams(vector.params);
        if (!params.ok) continue;
        const outcome = decodeVector(profile, vector, params.params);
        const shown = outcome.ok
          ? outcome.observations
              .slice(0, 3)
              .map((o) => Object.entries(flattenObservation(o)).filter(([key]) => key !== 'standard').map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' '))
              .join('\n      ') + (outcome.observations.length > 3 ? `\n      … ${outcome.observations.length - 3} more records` : '')
          : `refused: ${outcome.reason}`;
        process.stdout.write(`  ${vectorLabel(vector)}\n      ${shown}\n`);
      }
    }
    process.stdout.write(`\nTry one yourself: npx sensorbro decode --profile milesight-em310-udl --fport 85 --hex 01755C03824408040001 --param emptyDistanceMm=2500\n`);
    return loaded.errors.length > 0 ? 1 : 0;
  } finally {
    disposeAll(loaded);
  }
}
