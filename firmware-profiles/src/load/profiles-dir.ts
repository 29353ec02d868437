import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's firmware-profiles/ folder, found from this module both in the sources and in dist/. */
export function defaultProfilesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the sensorbro package root above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return join(dir, 'firmware-profiles');
}
