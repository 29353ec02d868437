import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's firmware-profiles/ folder, found from this module both in the sources and in dist/. */
export function defaultProfilesDir(): string {
  return join(packageRoot(), 'firmware-profiles');
}

/** The folder holding sensorbro's package.json (the sources, or an installed copy with dist/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the sensorbro package root above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}
