import { type LoadedProfiles, loadProfiles } from '../firmware-profiles/src/index.js';

/** Loads the profiles; reports broken profile files on stderr (the others stay usable). */
export async function loadProfilesReporting(): Promise<LoadedProfiles> {
  const loaded = await loadProfiles();
  for (const error of loaded.errors) process.stderr.write(`profile error: ${error.message}\n`);
  return loaded;
}

export function disposeAll(loaded: LoadedProfiles): void {
  for (const profile of loaded.profiles.values()) profile.dispose();
}
