import { type LoadedProfiles, loadProfiles } from '../../../firmware-profiles/src/index.js';

let shared: Promise<LoadedProfiles> | undefined;

/** The repository's profiles, loaded once per test file. */
export function repositoryProfiles(): Promise<LoadedProfiles> {
  shared ??= loadProfiles();
  return shared;
}
