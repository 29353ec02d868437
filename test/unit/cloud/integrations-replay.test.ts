import { describe, expect, it } from 'vitest';
import { chirpstackUp, em310, integrationsHarness, type IntegrationsHarness, upEvent, useProfiles } from './integrations-harness.js';

/** Replaying and deleting the integrations' dead letters, on the real app (integrations-harness.ts). */

const profiles = useProfiles();
const newEui = '24e1247100000001';
const otherEui = '24e1247100000002';
const deadLettersUrl = '/api/v1/integrations/dead-letters';

interface Listed { id: number; code: string; reason: string; deviceKey: string | null }

async function listed(h: IntegrationsHarness, token = h.technician): Promise<Listed[]> {
  return (await h.deadLetters(token)).deadLetters;
}

/** The technician registers the device that was unknown. */
async function register(h: IntegrationsHarness, deviceKey = newEui, token = h.technician) {
  const put = await h.api('PUT', `/api/v1/registry/devices/${deviceKey}`, token, { deviceKey, profile: em310.profile, params: em310.params });
  expect(put.statusCode).toBe(200);
}

describe('dead-letter replay', () => {
  it('stores an unknown device\'s uplinks once it is registered and removes their dead letters, audited', async () => {
    const h = await integrationsHarness(profiles());
    const key = await h.issueKey(h.admin, 'chirpstack', 'aarhus-chirpstack');
    expect((await h.push(chirpstackUp, `Bearer ${key}`, upEvent({ devEui: newEui, deduplicationId: 'u1' }))).statusCode).toBe(422);
    expect((await h.push(chirpstackUp, `Bearer ${key}`, upEvent({ devEui: newEui, deduplicationId: 'u2', hex: '01755C03824410' }))).statusCode).toBe(422);
    expect((await h.push(chirpstackUp, `Bearer ${key}`, upEvent({ hex: '0175', deduplicationId: 'short' }))).statusCode).toBe(422);
    const [first, second, truncated] = await listed(h);

    await register(h);
    const replay = await h.api('POST', `${deadLettersUrl}/replay`, h.technician, { code: 'unknown-device' });
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toMatchObject({
      replayed: 2,
      failed: 0,
      nextAfterId: null,
      results: [
        { id: first!.id, outcome: 'replayed', deviceKey: newEui, results: [{ id: expect.any(String), outcome: 'stored' }] },
        { id: second!.id, outcome: 'replayed', deviceKey: newEui, results: [{ id: expect.any(String), outcome: 'stored' }] },
      ],
    });

    const [record] = await h.store.latest({ kommune: '0751', standard: 'fill-level/1' });
    expect(record).toMatchObject({ deviceId: newEui, gatewayId: 'chirpstack:aarhus-chirpstack', receivedAt: '2022-07-18T09:34:15.775Z' });
    expect((await listed(h)).map((entry) => entry.id)).toEqual([truncated!.id]);
    expect((await h.deadLetters()).counts).toMatchObject({ 'replays.ok': 2, 'records.stored': 2, 'dead-letters': 3 });

    const [audit] = h.services.repositories.audit.list('0751').filter((entry) => entry.action === 'integration-dead-letters.replayed');
    expect(audit).toMatchObject({ actor: expect.stringMatching(/^api-token:/), detail: { filter: { code: 'unknown-device' }, replayedIds: [first!.id, second!.id], failedIds: [] } });
  });

  it('stores nothing twice: the same uplink kept twice is stored once, and a replayed dead letter is gone', async () => {
    const h = await integrationsHarness(profiles());
    const key = await h.issueKey(h.admin, 'chirpstack', 'aarhus-chirpstack');
    // A proxy posted the same event twice while the device was unknown.
    for (let i = 0; i < 2; i++) expect((await h.push(chirpstackUp, `Bearer ${key}`, upEvent({ devEui: newEui }))).statusCode).toBe(422);
    const [first, second] = await listed(h);
    await register(h);

    const once = await h.api('POST', `${deadLettersUrl}/${first!.id}/replay`, h.technician);
    expect(once.statusCode).toBe(200);
    expect(once.json()).toMatchObject({ id: first!.id, outcome: 'replayed', results: [{ outcome: 'stored' }] });
    const recordId = once.json().results[0].id;
    expect((await h.api('POST', `${deadLettersUrl}/${first!.id}/replay`, h.technician)).statusCode).toBe(404);
    const twice = await h.api('POST', `${deadLettersUrl}/${second!.id}/replay`, h.technician);
    expect(twice.json()).toMatchObject({ outcome: 'replayed', results: [{ id: recordId, outcome: 'duplicate' }] });

    expect(await listed(h)).toEqual([]);
    expect((await h.deadLetters()).counts).toMatchObject({ 'replays.ok': 2, 'records.stored': 1, 'records.duplicate': 1 });
    const targets = h.services.repositories.audit.list('0751').filter((entry) => entry.action === 'integration-dead-letter.replayed').map((entry) => entry.target);
    expect(targets.sort()).toEqual([`integration-dead-letter:${first!.id}`, `integration-dead-letter:${second!.id}`].sort());
  });

  it('keeps a dead letter that still cannot be used, with the new reason', async () => {
    const h = await integrationsHarness(profiles());
    const key = await h.issueKey(h.admin, 'chirpstack', 'aarhus-chirpstack');
    expect((await h.push(chirpstackUp, `Bearer ${key}`, upEvent({ devEui: newEui, hex: '0175' }))).json().code).toBe('unknown-device');
    expect((await h.push(chirpstackUp, `Bearer ${key}`, '{"deviceInfo": {"devEui": "24e1')).json().code).toBe('malformed');
    const [short, broken] = await listed(h);
    await register(h);

    const replay = await h.api('POST', `${deadLettersUrl}/${short!.id}/replay`, h.technician);
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toEqual({ id: short!.id, outcome: 'failed', code: 'truncated', reason: expect.stringMatching(/^milesight-em310-udl fPort 85 needs/) });
    // No body at all: every dead letter of the kommune.
    const all = await h.api('POST', `${deadLettersUrl}/replay`, h.technician);
    expect(all.json()).toMatchObject({ replayed: 0, failed: 2, nextAfterId: null });

    expect(await listed(h)).toEqual([
      expect.objectContaining({ id: short!.id, code: 'truncated', deviceKey: newEui }),
      expect.objectContaining({ id: broken!.id, code: 'malformed', reason: expect.stringMatching(/^chirpstack up: not JSON/) }),
    ]);
    // Kept, not kept again: the dead letters and their codes are counted once, when they arrived.
    expect((await h.deadLetters()).counts).toMatchObject({ 'dead-letters': 2, 'dead-letters.unknown-device': 1, 'replays.failed': 3 });
    expect(await h.store.latest({ kommune: '0751' })).toEqual([]);
  });

  it('replays as the key that pushed, after it was revoked, and from OS2iot', async () => {
    const h = await integrationsHarness(profiles());
    const chirpstack = await h.issueKey(h.admin, 'chirpstack', 'aarhus-chirpstack');
    const os2iot = await h.issueKey(h.admin, 'os2iot', 'aarhus-os2iot');
    expect((await h.push(chirpstackUp, `Bearer ${chirpstack}`, upEvent({ devEui: newEui, deduplicationId: 'c' }))).statusCode).toBe(422);
    expect((await h.push('/api/v1/integrations/os2iot', os2iot, upEvent({ devEui: otherEui, deduplicationId: 'o' }))).statusCode).toBe(422);
    const keys = (await h.api('GET', '/api/v1/integrations/keys', h.admin)).json() as { id: string; name: string }[];
    for (const { id } of keys) expect((await h.api('DELETE', `/api/v1/integrations/keys/${id}`, h.admin)).statusCode).toBe(204);
    await register(h);
    await register(h, otherEui);

    expect((await h.api('POST', `${deadLettersUrl}/replay`, h.admin, { deviceKey: newEui.toUpperCase() })).json()).toMatchObject({ replayed: 1, failed: 0 });
    expect((await h.api('POST', `${deadLettersUrl}/replay`, h.admin, { source: 'os2iot' })).json()).toMatchObject({ replayed: 1, failed: 0 });
    const stored = await h.store.latest({ kommune: '0751', standard: 'fill-level/1' });
    expect(stored.map((record) => [record.deviceId, record.gatewayId]).sort()).toEqual([
      [newEui, 'chirpstack:aarhus-chirpstack'],
      [otherEui, 'os2iot:aarhus-os2iot'],
    ]);
  });

  it('goes through a filter a page at a time; nextAfterId says where to go on', async () => {
    const h = await integrationsHarness(profiles());
    const key = await h.issueKey(h.admin, 'chirpstack', 'aarhus-chirpstack');
    for (const id of ['p1', 'p2', 'p3']) expect((await h.push(chirpstackUp, `Bearer ${key}`, upEvent({ devEui: newEui, deduplicationId: id }))).statusCode).toBe(422);
    const ids = (await listed(h)).map((entry) => entry.id);
    await register(h);

    const page = (await h.api('POST', `${deadLettersUrl}/replay`, h.technician, { code: 'unknown-device', limit: 2 })).json();
    expect(page).toMatchObject({ replayed: 2, nextAfterId: ids[1] });
    const rest = (await h.api('POST', `${deadLettersUrl}/replay`, h.technician, { code: 'unknown-device', limit: 2, afterId: page.nextAfterId })).json();
    expect(rest).toMatchObject({ replayed: 1, nextAfterId: null, results: [{ id: ids[2] }] });

    const bad = await h.api('POST', `${deadLettersUrl}/replay`, h.technician, { limit: 5000, devEui: newEui });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/limit: .*; .*devEui/);
  });

  it('leaves dead letters as they were and answers 503 with Retry-After when the store fails', async () => {
    const h = await integrationsHarness(profiles());
    const key = await h.issueKey(h.admin, 'chirpstack', 'aarhus-chirpstack');
    expect((await h.push(chirpstackUp, `Bearer ${key}`, upEvent({ devEui: newEui }))).statusCode).toBe(422);
    const [letter] = await listed(h);
    await register(h);
    await h.store.close();

    const one = await h.api('POST', `${deadLettersUrl}/${letter!.id}/replay`, h.technician);
    expect(one.statusCode).toBe(503);
    expect(Number(one.headers['retry-after'])).toBeGreaterThan(0);
    const batch = await h.api('POST', `${deadLettersUrl}/replay`, h.technician, {});
    expect(batch.statusCode).toBe(503);
    expect(batch.json()).toMatchObject({ replayed: 0, failed: 0, results: [], nextAfterId: 0 });
    expect(await listed(h)).toEqual([expect.objectContaining({ id: letter!.id, code: 'unknown-device' })]);
  });
});

describe('dead-letter deletion', () => {
  it('deletes one dead letter or those of a filter, audited; an empty filter needs all=true', async () => {
    const h = await integrationsHarness(profiles());
    const key = await h.issueKey(h.admin, 'chirpstack', 'aarhus-chirpstack');
    for (const eui of ['0000000000000001', '0000000000000002', '0000000000000003']) await h.push(chirpstackUp, `Bearer ${key}`, upEvent({ devEui: eui }));
    await h.push(chirpstackUp, `Bearer ${key}`, 'not json');
    await h.push(chirpstackUp, `Bearer ${key}`, 'nor this');
    const [one] = await listed(h);

    expect((await h.api('DELETE', `${deadLettersUrl}/${one!.id}`, h.technician)).statusCode).toBe(204);
    expect((await h.api('DELETE', `${deadLettersUrl}/${one!.id}`, h.technician)).statusCode).toBe(404);
    const unfiltered = await h.api('DELETE', deadLettersUrl, h.technician);
    expect(unfiltered.statusCode).toBe(400);
    expect(unfiltered.json().error).toMatch(/all=true/);
    const typo = await h.api('DELETE', `${deadLettersUrl}?devEui=0000000000000002`, h.technician);
    expect(typo.statusCode).toBe(400);
    expect(typo.json().error).toMatch(/devEui/);

    expect((await h.api('DELETE', `${deadLettersUrl}?code=malformed`, h.technician)).json()).toEqual({ deleted: 2 });
    expect((await listed(h)).map((entry) => entry.deviceKey)).toEqual(['0000000000000002', '0000000000000003']);
    expect((await h.api('DELETE', `${deadLettersUrl}?all=true`, h.admin)).json()).toEqual({ deleted: 2 });
    expect(await listed(h)).toEqual([]);
    expect((await h.deadLetters()).counts).toMatchObject({ 'dead-letters.deleted': 5 });

    const actions = h.services.repositories.audit.list('0751').map((entry) => [entry.action, entry.target, entry.detail]);
    expect(actions).toEqual(expect.arrayContaining([
      ['integration-dead-letter.deleted', `integration-dead-letter:${one!.id}`, { code: 'unknown-device', deviceKey: '0000000000000001' }],
      ['integration-dead-letters.deleted', null, { filter: { code: 'malformed' }, deleted: 2 }],
      ['integration-dead-letters.deleted', null, { filter: {}, deleted: 2 }],
    ]));
  });
});

describe('dead letters: who may', () => {
  it('keeps each kommune to its own dead letters: København neither sees, replays nor deletes Aarhus\'s', async () => {
    const h = await integrationsHarness(profiles());
    const key = await h.issueKey(h.admin, 'chirpstack', 'aarhus-chirpstack');
    expect((await h.push(chirpstackUp, `Bearer ${key}`, upEvent({ devEui: newEui }))).statusCode).toBe(422);
    const [aarhus] = await listed(h);
    // København has the device too: a replay there must still not take Aarhus's uplink.
    await register(h, newEui, h.kbhAdmin);

    expect(await listed(h, h.kbhAdmin)).toEqual([]);
    expect((await h.api('POST', `${deadLettersUrl}/${aarhus!.id}/replay`, h.kbhAdmin)).statusCode).toBe(404);
    expect((await h.api('DELETE', `${deadLettersUrl}/${aarhus!.id}`, h.kbhAdmin)).statusCode).toBe(404);
    expect((await h.api('POST', `${deadLettersUrl}/replay`, h.kbhAdmin, {})).json()).toMatchObject({ replayed: 0, failed: 0, results: [] });
    expect((await h.api('DELETE', `${deadLettersUrl}?all=true`, h.kbhAdmin)).json()).toEqual({ deleted: 0 });

    expect(await listed(h)).toEqual([expect.objectContaining({ id: aarhus!.id, code: 'unknown-device' })]);
    expect(await h.store.latest({ kommune: '0101' })).toEqual([]);
    expect(h.services.repositories.audit.list('0751').filter((entry) => entry.action.startsWith('integration-dead-letter'))).toEqual([]);
  });

  it('lets admins and technicians replay and delete; other roles get 403, an integration key 401', async () => {
    const h = await integrationsHarness(profiles());
    const key = await h.issueKey(h.admin, 'chirpstack', 'aarhus-chirpstack');
    await h.push(chirpstackUp, `Bearer ${key}`, upEvent({ devEui: newEui }));
    const [letter] = await listed(h);
    const requests: [method: 'POST' | 'DELETE', url: string, body?: object][] = [
      ['POST', `${deadLettersUrl}/${letter!.id}/replay`],
      ['POST', `${deadLettersUrl}/replay`, {}],
      ['DELETE', `${deadLettersUrl}/${letter!.id}`],
      ['DELETE', `${deadLettersUrl}?all=true`],
    ];
    for (const [method, url, body] of requests) {
      for (const token of [h.tokens.energi, h.tokens.affald]) expect((await h.api(method, url, token, body)).statusCode).toBe(403);
      expect((await h.api(method, url, key, body)).statusCode).toBe(401);
      expect((await h.api(method, url, null, body)).statusCode).toBe(401);
    }
    expect((await h.api('POST', `${deadLettersUrl}/${letter!.id}/replay`, h.technician)).json()).toMatchObject({ outcome: 'failed', code: 'unknown-device' });
    expect((await h.api('POST', `${deadLettersUrl}/${letter!.id}/replay`, h.admin)).statusCode).toBe(200);
    expect((await h.api('DELETE', `${deadLettersUrl}/${letter!.id}`, h.admin)).statusCode).toBe(204);
  });

  it('documents the dead-letter routes in the OpenAPI document, tagged and secured', async () => {
    const h = await integrationsHarness(profiles(), { docs: true });
    const { paths } = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const operations = [
      paths[deadLettersUrl].get,
      paths[deadLettersUrl].delete,
      paths[`${deadLettersUrl}/replay`].post,
      paths[`${deadLettersUrl}/{id}/replay`].post,
      paths[`${deadLettersUrl}/{id}`].delete,
    ];
    for (const operation of operations) {
      expect(operation.tags).toEqual(['integrations']);
      expect(operation.security).toEqual([{ session: [] }, { apiToken: [] }]);
      expect(operation.summary).toEqual(expect.any(String));
    }
    const [filter, noBody] = paths[`${deadLettersUrl}/replay`].post.requestBody.content['application/json'].schema.anyOf;
    expect(Object.keys(filter.properties)).toEqual(['code', 'deviceKey', 'source', 'afterId', 'limit']);
    expect(noBody).toEqual({ type: 'null' });
    expect(Object.keys(paths[`${deadLettersUrl}/replay`].post.responses)).toEqual(expect.arrayContaining(['200', '400', '503']));
    expect(paths[`${deadLettersUrl}/{id}/replay`].post.responses['200'].content['application/json'].schema).toHaveProperty('oneOf');
  });
});
