import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const fileName = 'admin-token';

/**
 * The token for the gateway's local commands (dead-letter listing and replay). Made fresh at each
 * start and written to the storage folder readable by the gateway's user only: whoever may read
 * the gateway's files may command it, nobody else.
 */
export function createAdminToken(storageDir: string): string {
  const token = randomBytes(24).toString('base64url');
  const path = join(storageDir, fileName);
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return token;
}

export function readAdminToken(storageDir: string): string {
  return readFileSync(join(storageDir, fileName), 'utf8').trim();
}
