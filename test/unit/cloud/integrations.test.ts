import { describe, expect, it } from 'vitest';
import { devEui, em310, integrationsHarness, type IntegrationLimits, upEvent, useProfiles } from './integrations-harness.js';

/** The HTTP integrations against the real app (integrations-harness.ts): pushes, keys, dead letters. */

const profiles = useProfiles();
const setup = (options: IntegrationLimits = {}) => integrationsHarness(profiles(), options);

describe('ChirpStack v4 HTTP integration', () => {
  it('stores the fill-level record of a registered EM310-UDL, with the key\'s kommune and the integration as gateway', async () => {
    const h = await setup();
    const key = await h.issueKey(h.admin, 'chirpstack', 'aarhus-chirpstack');
    const response = await h.push('/api/v1/integrations/chirpstack?event=up', `Bearer ${key}`, upEvent());
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.deviceKey).toBe(devEui);
    expect(body.results).toEqual([{ id: expect.any(String), outcome: 'stored' }]);

    const [record] = await h.store.latest({ kommune: '0751', standard: 'fill-level/1' });
    expect(record).toMatchObject({
      id: body.results[0].id,
      kommune: '0751',
      deviceId: devEui,
      assetId: 'c-17',
      gatewayId: 'chirpstack:aarhus-chirpstack',
      distanceMm: em310.expect.distanceMm,
      device: { batteryPercent: em310.expect['device.batteryPercent'], rssiDbm: -36, snrDb: 10.5 },
      receivedAt: '2022-07-18T09:34:15.775Z',
    });
    expect((record as { fillLevel: number }).fillLevel).toBeCloseTo(em310.expect.fillLevel as number, 6);
  });

  it('stores nothing twice when ChirpStack or a proxy posts the same event again', async () => {
    const h = await setup();
    const key = await h.issueKey(h.admin, 'chirpstack', 'aarhus-chirpstack');
    const first = (await h.push('/api/v1/integrations/chirpstack?event=up', `Bearer ${key}`, upEvent())).json();
    const again = await h.push('/api/v1/integrations/chirpstack?event=up', `Bearer ${key}`, upEvent());
    expect(again.statusCode).toBe(200);
    expect(again.json().results).toEqual([{ id: first.results[0].id, outcome: 'duplicate' }]);

    // Without ChirpStack's deduplicationId the ids come from the body: a retried POST is still a duplicate.
    const { deduplicationId: _dropped, ...anonymous } = upEvent({ hex: '01755C03824410' });
    const once = (await h.push('/api/v1/integrations/chirpstack?event=up', `Bearer ${key}`, anonymous)).json();
    const twice = (await h.push('/api/v1/integrations/chirpstack?event=up', `Bearer ${key}`, anonymous)).json();
    expect(once.results[0].outcome).toBe('stored');
    expect(twice.results).toEqual([{ id: once.results[0].id, outcome: 'duplicate' }]);
    const { counts } = await h.deadLetters();
    expect(counts).toMatchObject({ uplinks: 4, 'records.stored': 2, 'records.duplicate': 2 });
  });

  it('keeps the uplink as a dead letter and answers 503 when the store cannot take it', async () => {
    const h = await setup();
    const key = await h.issueKey(h.admin, 'chirpstack', 'aarhus-chirpstack');
    await h.store.close();
    const response = await h.push('/api/v1/integrations/chirpstack?event=up', `Bearer ${key}`, upEvent());
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.json()).toMatchObject({ code: 'store-unavailable' });
    const [kept] = (await h.deadLetters()).deadLetters;
    expect(kept).toMatchObject({ code: 'store-unavailable', deviceKey: devEui, rawEncoding: 'utf8' });
    expect(JSON.parse(kept.raw)).toEqual(upEvent());
  });

  it('acknowledges and ignores the events that carry no measurement', async () => {
    const h = await setup();
    const key = await h.issueKey(h.admin, 'chirpstack', 'aarhus-chirpstack');
    const join = await h.push('/api/v1/integrations/chirpstack?event=join', `Bearer ${key}`, { deviceInfo: { devEui }, devAddr: '00189440' });
    expect(join.statusCode).toBe(200);
    expect(join.json()).toEqual({ event: 'join', outcome: 'ignored' });
    const unknownEvent = await h.push('/api/v1/integrations/chirpstack?event=bogus', `Bearer ${key}`, upEvent());
    expect(unknownEvent.statusCode).toBe(400);
    expect(unknownEvent.json().error).toMatch(/^query\.event: /);
    expect((await h.push('/api/v1/integrations/chirpstack', `Bearer ${key}`, upEvent())).json().error).toMatch(/^query\.event: /);
  });

  it('keeps an unknown device, an undecodable payload and malformed JSON as dead letters with their reasons', async () => {
    const h = await setup();
    const key = await h.issueKey(h.admin, 'chirpstack', 'aarhus-chirpstack');
    const url = '/api/v1/integrations/chirpstack?event=up';

    const unknown = await h.push(url, `Bearer ${key}`, upEvent({ devEui: '0011223344556677' }));
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json()).toMatchObject({ code: 'unknown-device', error: 'device 0011223344556677 is not registered in kommune 0751' });

    const truncated = await h.push(url, `Bearer ${key}`, upEvent({ hex: '0175', deduplicationId: 'd2' }));
    expect(truncated.statusCode).toBe(422);
    expect(truncated.json()).toMatchObject({ code: 'truncated', error: expect.stringMatching(/^milesight-em310-udl fPort 85 needs 1 data bytes .* payload is 2 bytes$/) });

    const notJson = await h.push(url, `Bearer ${key}`, '{"deviceInfo": {"devEui": "24e1');
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json()).toMatchObject({ code: 'malformed', error: expect.stringMatching(/^chirpstack up: not JSON/) });

    const wrongShape = await h.push(url, `Bearer ${key}`, { ...upEvent(), fPort: 'eighty-five' });
    expect(wrongShape.statusCode).toBe(400);
    expect(wrongShape.json().error).toMatch(/fPort/);

    const listed = await h.deadLetters();
    expect(listed.deadLetters.map((entry: { code: string; deviceKey: string | null }) => [entry.code, entry.deviceKey])).toEqual([
      ['unknown-device', '0011223344556677'],
      ['truncated', devEui],
      ['malformed', null],
      ['malformed', devEui],
    ]);
    expect(listed.deadLetters[2]).toMatchObject({ source: 'chirpstack', raw: '{"deviceInfo": {"devEui": "24e1', rawEncoding: 'utf8' });
    expect(JSON.parse(listed.deadLetters[0].raw).deviceInfo.devEui).toBe('0011223344556677');
    expect(listed.counts).toMatchObject({ 'dead-letters': 4, 'dead-letters.unknown-device': 1, 'dead-letters.malformed': 2 });
    expect(await h.store.latest({ kommune: '0751' })).toEqual([]);
  });

  it('refuses protobuf with 415, keeping a protobuf uplink as a dead letter', async () => {
    const h = await setup();
    const key = await h.issueKey(h.admin, 'chirpstack', 'aarhus-chirpstack');
    const protobuf = Buffer.from('0a2435623666', 'hex');
    const up = await h.push('/api/v1/integrations/chirpstack?event=up', `Bearer ${key}`, protobuf, 'application/octet-stream');
    expect(up.statusCode).toBe(415);
    expect(up.json()).toMatchObject({ code: 'unsupported-encoding', error: expect.stringMatching(/Payload encoding.*JSON/) });
    const status = await h.push('/api/v1/integrations/chirpstack?event=status', `Bearer ${key}`, protobuf, 'application/octet-stream');
    expect(status.statusCode).toBe(415);
    const [kept] = (await h.deadLetters()).deadLetters;
    expect(kept).toMatchObject({ code: 'unsupported-encoding', contentType: 'application/octet-stream', rawEncoding: 'base64', raw: protobuf.toString('base64') });
  });

  it('answers 413 to a body over the limit, without reading or keeping it', async () => {
    const h = await setup({ maxBodyBytes: 4096 });
    const key = await h.issueKey(h.admin, 'chirpstack', 'aarhus-chirpstack');
    const big = await h.push('/api/v1/integrations/chirpstack?event=up', `Bearer ${key}`, { ...upEvent(), padding: 'x'.repeat(5000) });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toEqual({ error: 'body too large' });
    const { counts, deadLetters } = await h.deadLetters();
    expect(counts).toMatchObject({ 'refused.too-large': 1 });
    expect(deadLetters).toEqual([]);
  });

  it('keeps the dead-letter store bounded: the oldest are dropped and counted', async () => {
    const h = await setup({ deadLettersPerKommune: 2 });
    const key = await h.issueKey(h.admin, 'chirpstack', 'aarhus-chirpstack');
    for (const eui of ['0000000000000001', '0000000000000002', '0000000000000003']) {
      expect((await h.push('/api/v1/integrations/chirpstack?event=up', `Bearer ${key}`, upEvent({ devEui: eui }))).statusCode).toBe(422);
    }
    const { counts, deadLetters } = await h.deadLetters();
    expect(deadLetters.map((entry: { deviceKey: string }) => entry.deviceKey)).toEqual(['0000000000000002', '0000000000000003']);
    expect(counts).toMatchObject({ 'dead-letters': 3, 'dead-letters.dropped': 1 });
  });
});

describe('OS2iot HTTP push data target', () => {
  it('stores the record of the ChirpStack uplink OS2iot forwards, with its authorization field as sent', async () => {
    const h = await setup();
    const key = await h.issueKey(h.admin, 'os2iot', 'aarhus-os2iot');
    // OS2iot sends its "authorization header" field verbatim: here the key alone, then as Bearer.
    const response = await h.push('/api/v1/integrations/os2iot', key, upEvent());
    expect(response.statusCode).toBe(200);
    expect(response.json().results).toEqual([{ id: expect.any(String), outcome: 'stored' }]);
    const [record] = await h.store.latest({ kommune: '0751', standard: 'fill-level/1' });
    expect(record).toMatchObject({ gatewayId: 'os2iot:aarhus-os2iot', deviceId: devEui, distanceMm: em310.expect.distanceMm });
    expect((record as { fillLevel: number }).fillLevel).toBeCloseTo(em310.expect.fillLevel as number, 6);

    const retried = await h.push('/api/v1/integrations/os2iot', `Bearer ${key}`, upEvent());
    expect(retried.json().results).toEqual([{ id: record!.id, outcome: 'duplicate' }]);
    const basic = `Basic ${Buffer.from(`os2iot:${key}`).toString('base64')}`;
    expect((await h.push('/api/v1/integrations/os2iot', basic, upEvent())).statusCode).toBe(200);
  });

  it('dead-letters a payload-decoder output, saying how to connect the data target', async () => {
    const h = await setup();
    const key = await h.issueKey(h.admin, 'os2iot', 'aarhus-os2iot');
    const decoded = await h.push('/api/v1/integrations/os2iot', key, { distance: 2116, battery: 92 });
    expect(decoded.statusCode).toBe(400);
    expect(decoded.json().error).toMatch(/^os2iot: chirpstack up: unexpected shape: deviceInfo: .*without a payload decoder/);
    expect((await h.deadLetters()).deadLetters[0]).toMatchObject({ source: 'os2iot', code: 'malformed', raw: '{"distance":2116,"battery":92}' });
  });
});

describe('integration keys', () => {
  it('answers a wrong, revoked or misplaced key with a bare 401', async () => {
    const h = await setup();
    const chirpstackKey = await h.issueKey(h.admin, 'chirpstack', 'aarhus-chirpstack');
    const url = '/api/v1/integrations/chirpstack?event=up';
    const wrong = chirpstackKey.slice(0, -4) + 'AAAA';
    for (const authorization of [undefined, `Bearer ${wrong}`, 'Bearer sbi_nonsense', `Bearer ${h.admin}`]) {
      const response = await h.push(url, authorization, upEvent());
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({ error: 'unauthorized' });
    }
    // A ChirpStack key opens neither the OS2iot endpoint nor the REST API.
    expect((await h.push('/api/v1/integrations/os2iot', `Bearer ${chirpstackKey}`, upEvent())).statusCode).toBe(401);
    expect((await h.api('GET', '/api/v1/registry/devices', chirpstackKey)).statusCode).toBe(401);
    expect((await h.api('GET', '/api/v1/integrations/dead-letters', chirpstackKey)).statusCode).toBe(401);

    const [listed] = (await h.api('GET', '/api/v1/integrations/keys', h.admin)).json();
    expect(listed).toMatchObject({ integration: 'chirpstack', name: 'aarhus-chirpstack', gatewayId: 'chirpstack:aarhus-chirpstack', active: true });
    expect(listed).not.toHaveProperty('key');
    expect((await h.api('DELETE', `/api/v1/integrations/keys/${listed.id}`, h.admin)).statusCode).toBe(204);
    expect((await h.push(url, `Bearer ${chirpstackKey}`, upEvent())).statusCode).toBe(401);
    const actions = h.services.repositories.audit.list('0751').map((entry) => `${entry.action} ${entry.target}`);
    expect(actions).toEqual(expect.arrayContaining([`integration-key.created integration-key:${listed.id}`, `integration-key.revoked integration-key:${listed.id}`]));
  });

  it('lets a kommune\'s key write only to its own devices', async () => {
    const h = await setup();
    const kbhKey = await h.issueKey(h.kbhAdmin, 'chirpstack', 'kbh-chirpstack');
    const response = await h.push('/api/v1/integrations/chirpstack?event=up', `Bearer ${kbhKey}`, upEvent());
    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({ code: 'unknown-device', error: `device ${devEui} is not registered in kommune 0101` });
    expect(await h.store.latest({ kommune: '0751' })).toEqual([]);
    expect(await h.store.latest({ kommune: '0101' })).toEqual([]);
    // The dead letter is København's; Aarhus sees none of it.
    expect((await h.deadLetters(h.kbhAdmin)).deadLetters).toHaveLength(1);
    expect((await h.deadLetters(h.admin)).deadLetters).toHaveLength(0);
  });

  it('is issued and revoked by admins only; dead letters are read by admins and technicians', async () => {
    const h = await setup();
    expect((await h.api('POST', '/api/v1/integrations/keys', h.technician, { integration: 'os2iot', name: 'x' })).statusCode).toBe(403);
    const badName = await h.api('POST', '/api/v1/integrations/keys', h.admin, { integration: 'os2iot', name: 'Aarhus OS2iot' });
    expect(badName.statusCode).toBe(400);
    expect(badName.json().error).toMatch(/^name: /);
    expect((await h.api('POST', '/api/v1/integrations/keys', h.admin, { integration: 'ttn', name: 'x' })).json().error).toMatch(/^integration: /);
    const energi = h.services.apiTokens.issue('0751', { name: 'energi', roles: ['energi'] }).token;
    expect((await h.api('GET', '/api/v1/integrations/dead-letters', energi)).statusCode).toBe(403);
  });
});
