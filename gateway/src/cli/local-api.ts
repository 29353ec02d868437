import { loadProfiles } from '../../../firmware-profiles/src/index.js';
import { loadGatewayConfig } from '../config/load-config.js';
import { readAdminToken } from '../status/admin-token.js';

/** Where the gateway named by a configuration file answers locally, and the admin token to ask with. */
export async function localGatewayApi(file: string): Promise<{ baseUrl: string; token: string }> {
  const profiles = await loadProfiles();
  try {
    const result = loadGatewayConfig(file, profiles);
    if (!result.ok) throw new Error(result.problems.map((problem) => `${file}: ${problem.path}: ${problem.message}`).join('\n'));
    const { status, storage } = result.config;
    const host = status.host === '0.0.0.0' || status.host === '::' ? '127.0.0.1' : status.host;
    let token: string;
    try {
      token = readAdminToken(storage.dir);
    } catch {
      throw new Error(`cannot read the gateway's admin token in ${storage.dir} (is the gateway running, and are you its user?)`);
    }
    return { baseUrl: `http://${host.includes(':') ? `[${host}]` : host}:${status.port}`, token };
  } finally {
    for (const profile of profiles.profiles.values()) profile.dispose();
  }
}

export async function getJson(url: string, token: string, init: RequestInit = {}): Promise<unknown> {
  const response = await fetch(url, { ...init, headers: { ...init.headers, authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}
