import { describe, expect, it } from 'vitest';
import { integrationRoutes } from '../../../cloud/src/integrations/routes.js';
import { chirpstackUp, integrationsHarness, upEvent, useProfiles } from './integrations-harness.js';

/** The push endpoints' rate limit per integration key, on the real app (integrations-harness.ts). */

const profiles = useProfiles();

describe('integration push rate limit', () => {
  it('answers 429 with Retry-After past the key\'s pushes per minute, and counts it', async () => {
    const h = await integrationsHarness(profiles(), { ratePerKeyPerMinute: 3 });
    const key = await h.issueKey(h.admin, 'chirpstack', 'aarhus-chirpstack');
    for (let i = 0; i < 3; i++) expect((await h.push(chirpstackUp, `Bearer ${key}`, upEvent())).statusCode).toBe(200);
    const limited = await h.push(chirpstackUp, `Bearer ${key}`, upEvent({ deduplicationId: 'late' }));
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toEqual({ error: 'too many requests' });

    // Refused before the body is read: not a dead letter, not an uplink, but counted.
    const { counts, deadLetters } = await h.deadLetters();
    expect(deadLetters).toEqual([]);
    expect(counts).toMatchObject({ uplinks: 3, 'refused.rate-limited': 1 });
  });

  it('counts each key on its own: another key of the kommune, or another integration, still pushes', async () => {
    const h = await integrationsHarness(profiles(), { ratePerKeyPerMinute: 2 });
    const first = await h.issueKey(h.admin, 'chirpstack', 'aarhus-chirpstack');
    const second = await h.issueKey(h.admin, 'chirpstack', 'aarhus-chirpstack-2');
    const os2iot = await h.issueKey(h.admin, 'os2iot', 'aarhus-os2iot');
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await h.push(chirpstackUp, `Bearer ${first}`, upEvent())).statusCode);
    expect(statuses).toEqual([200, 200, 429]);
    expect((await h.push(chirpstackUp, `Bearer ${second}`, upEvent())).statusCode).toBe(200);
    expect((await h.push('/api/v1/integrations/os2iot', os2iot, upEvent())).statusCode).toBe(200);
    // Events other than up count against the same key.
    expect((await h.push('/api/v1/integrations/chirpstack?event=status', `Bearer ${second}`, {})).statusCode).toBe(200);
    expect((await h.push(chirpstackUp, `Bearer ${second}`, upEvent())).statusCode).toBe(429);
  });

  it('answers a wrong or revoked key 401 whatever the limit, never 429, and does not count it against the key', async () => {
    const h = await integrationsHarness(profiles(), { ratePerKeyPerMinute: 2 });
    const key = await h.issueKey(h.admin, 'chirpstack', 'aarhus-chirpstack');
    // The same key id with a wrong secret: were it counted under the key, it would use up the key's limit.
    const wrongSecret = `${key.slice(0, -4)}AAAA`;
    for (let i = 0; i < 5; i++) {
      const response = await h.push(chirpstackUp, `Bearer ${wrongSecret}`, upEvent());
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({ error: 'unauthorized' });
      expect(response.headers['retry-after']).toBeUndefined();
    }
    expect((await h.push(chirpstackUp, `Bearer ${key}`, upEvent())).statusCode).toBe(200);
    expect((await h.push(chirpstackUp, `Bearer ${key}`, upEvent())).statusCode).toBe(200);
    expect((await h.push(chirpstackUp, `Bearer ${key}`, upEvent())).statusCode).toBe(429);
    // Past the limit, a wrong secret of the same key id still gets the bare 401: 429 does not tell the id exists.
    expect((await h.push(chirpstackUp, `Bearer ${wrongSecret}`, upEvent())).statusCode).toBe(401);

    const [listed] = (await h.api('GET', '/api/v1/integrations/keys', h.admin)).json();
    expect((await h.api('DELETE', `/api/v1/integrations/keys/${listed.id}`, h.admin)).statusCode).toBe(204);
    expect((await h.push(chirpstackUp, `Bearer ${key}`, upEvent())).statusCode).toBe(401);
    expect((await h.deadLetters()).counts).toMatchObject({ 'refused.rate-limited': 1 });
  });

  it('documents 429 on both push endpoints', async () => {
    const h = await integrationsHarness(profiles(), { docs: true });
    const document = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json();
    for (const path of ['/api/v1/integrations/chirpstack', '/api/v1/integrations/os2iot']) {
      expect(Object.keys(document.paths[path].post.responses)).toContain('429');
    }
  });

  it('refuses a limit that is not a positive whole number, naming the option', async () => {
    // The options are checked before anything is opened or migrated: no database is needed to see them refused.
    const { database, store, registry } = {} as Parameters<typeof integrationRoutes>[0];
    for (const ratePerKeyPerMinute of [0, 1.5, -10]) {
      expect(() => integrationRoutes({ database, store, registry, profiles: profiles(), ratePerKeyPerMinute })).toThrow(/^integration routes: ratePerKeyPerMinute: /);
    }
  });
});
