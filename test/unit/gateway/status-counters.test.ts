import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../gateway/src/status/metrics.js';
import { renderStatusPage } from '../../../gateway/src/status/page.js';
import type { GatewayStatus, SourceRow } from '../../../gateway/src/status/snapshot.js';
import { describeCounters } from '../../../gateway/src/status/source-counters.js';

/** A gateway whose sources are the given ones; the rest idle. */
function statusWith(sources: SourceRow[]): GatewayStatus {
  return {
    gateway: { id: 'gw-1', kommune: '0751', name: undefined, startedAt: '2026-11-24T08:00:00.000Z', uptimeS: 60 },
    cloud: { url: 'https://cloud.example.dk', state: 'ok', lastSuccessAt: undefined, lastError: undefined, consecutiveFailures: 0, sentRecords: 0, rejectedRecords: 0 },
    queue: { depth: 0, oldestEnqueuedAt: undefined, bytes: 0, quotaBytes: 1000, droppedAtQuota: 0, oldestAgeS: undefined },
    sources,
    deadLetters: { total: 0, byDevice: {}, dropped: 0, repeats: 0 },
    pipeline: { uplinks: 0, records: 0, deadLetters: 0, unknownDevices: 0 },
    devices: [],
  };
}

describe("sources' own counters on the status surfaces, for counters the status module has no words for", () => {
  it('lists known counters first in their reading order, then the rest under their own names', () => {
    const described = describeCounters({ joinRequests: 2, connections: 3, loginsThrottled: 1, toString: 4 });
    expect(described.map((counter) => [counter.name, counter.value, counter.alarm])).toEqual([
      ['loginsThrottled', 1, true],
      ['connections', 3, false],
      ['joinRequests', 2, false],
      ['toString', 4, false],
    ]);
    expect(described[2]).toMatchObject({ label: 'joinRequests', help: 'join requests (as counted by the source)' });
    // the upstream sources' own counters have words
    expect(describeCounters({ deviceEvents: 1, unacknowledged: 0 }).map((counter) => counter.label)).toEqual([
      'Enhedshændelser fra netværksserveren (join, status)',
      'Ikke kvitterede beskeder (netværksserveren sender dem igen)',
    ]);
  });

  it('shows them on the page escaped, and only for sources that keep counters', () => {
    const page = renderStatusPage(
      statusWith([
        { name: 'chirpstack', connected: true, detail: undefined, counters: { joinRequests: 2, '<b>odd</b>': 1 } },
        { name: 'tts', connected: true, detail: undefined },
      ]),
    );
    expect(page).toContain('<div class="card ok"><b>chirpstack</b>');
    expect(page).toContain('<td>&lt;b&gt;odd&lt;/b&gt;</td><td class="num">1</td>');
    expect(page).not.toContain('<b>tts</b>');
  });

  it('names their metrics from the counter names', async () => {
    const text = await createMetrics(() => statusWith([{ name: 'chirpstack', connected: true, detail: undefined, counters: { joinRequests: 2, 'odd-name!': 1 } }])).render();
    expect(text).toContain('# HELP sensorbro_source_join_requests_total join requests (as counted by the source)\n# TYPE sensorbro_source_join_requests_total counter\nsensorbro_source_join_requests_total{source="chirpstack"} 2\n');
    expect(text).toMatch(/^sensorbro_source_odd_name_total\{source="chirpstack"\} 1$/m);
  });
});
