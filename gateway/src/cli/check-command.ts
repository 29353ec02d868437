import { loadProfiles } from '../../../firmware-profiles/src/index.js';
import { loadGatewayConfig } from '../config/load-config.js';

/**
 * `sensorbro gateway check <config>`: exit 0 when the file is valid; otherwise one line per problem
 * on stderr, "<path in the file>: <what is wrong>", and exit 1. (A contract: other tools call it.)
 */
export async function runGatewayCheck(args: string[]): Promise<number> {
  const [file, ...rest] = args;
  if (!file || rest.length > 0) {
    process.stderr.write('usage: sensorbro gateway check <config.yaml>\n');
    return 2;
  }
  const profiles = await loadProfiles();
  try {
    for (const error of profiles.errors) process.stderr.write(`profile error: ${error.message}\n`);
    const result = loadGatewayConfig(file, profiles);
    if (!result.ok) {
      for (const problem of result.problems) process.stderr.write(`${file}: ${problem.path}: ${problem.message}\n`);
      return 1;
    }
    const { config } = result;
    process.stdout.write(
      `${file}: valid — gateway ${config.gateway.id} (kommune ${config.gateway.kommune}), ` +
        `${config.sources.length} source(s), ${config.devices.length} device(s)\n`,
    );
    return 0;
  } finally {
    for (const profile of profiles.profiles.values()) profile.dispose();
  }
}
