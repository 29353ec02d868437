import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseChirpstackUp, parseTtsUp } from '../../../firmware-profiles/src/index.js';

const envelopes = JSON.parse(readFileSync(new URL('../../../../shared/vectors/decoder-vectors.json', import.meta.url), 'utf8')).envelopes;
const bytes = (json: unknown) => new TextEncoder().encode(JSON.stringify(json));

describe('message ids for stable record ids', () => {
  it('ChirpStack: the deduplicationId', () => {
    const { topic, json } = envelopes['chirpstack-v4-up'];
    const result = parseChirpstackUp(topic, bytes(json), 65536);
    expect(result).toMatchObject({ ok: true, uplink: { messageId: 'chirpstack:3ac7e3c4-4401-4b8d-9386-a5c902f9202d' } });
    const { deduplicationId: _, ...without } = json;
    const bare = parseChirpstackUp(topic, bytes(without), 65536);
    expect(bare.ok && bare.uplink.messageId).toBe(undefined);
  });

  it('The Things Stack: the application server uplink correlation id', () => {
    const { topic, json } = envelopes['tts-v3-up'];
    const result = parseTtsUp(topic, bytes(json), 65536);
    expect(result).toMatchObject({ ok: true, uplink: { messageId: 'tts:as:up:01E0WZGT6Y7657CPFPE5WEYDSQ' } });
  });
});
