import type { GatewayStatus } from './snapshot.js';
import { describeCounters } from './source-counters.js';

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escape = (value: unknown) => String(value ?? '–').replace(/[&<>"']/g, (c) => escapes[c]!);

function ago(iso: string | undefined, now: number): string {
  if (!iso) return 'aldrig';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 90) return `${seconds} s siden`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min siden`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} t siden`;
  return `${Math.round(seconds / 86_400)} dage siden`;
}

const cloudStates: Record<GatewayStatus['cloud']['state'], string> = {
  ok: 'forbundet',
  sending: 'sender',
  backoff: 'venter (genforsøger)',
  unauthorized: 'afvist: ugyldig nøgle',
  idle: 'ikke startet',
};

/**
 * A card of a source's own counters: problems first, bold when above 0, and the card marked when
 * any is (a refused login may be a sensor with a wrong password, or someone guessing).
 */
function countersCard(name: string, totals: Record<string, number>): string {
  const counters = describeCounters(totals);
  const alarmed = counters.some((counter) => counter.alarm && counter.value > 0);
  const rows = counters
    .map((counter) => {
      const value = counter.alarm && counter.value > 0 ? `<b>${escape(counter.value)}</b>` : escape(counter.value);
      return `<tr><td>${escape(counter.label)}</td><td class="num">${value}</td></tr>`;
    })
    .join('');
  return `<div class="card ${alarmed ? 'warn' : 'ok'}"><b>${escape(name)}</b> <small>(siden start)</small>
<table class="counters">${rows}</table></div>`;
}

/** The technician's page, in Danish: state at a glance, then the devices. Refreshes itself. */
export function renderStatusPage(status: GatewayStatus, now = Date.now()): string {
  const cloudOk = status.cloud.state === 'ok' || status.cloud.state === 'sending';
  const quotaUse = status.queue.quotaBytes > 0 ? status.queue.bytes / status.queue.quotaBytes : 0;
  const rows = status.devices
    .map(
      (device) => `<tr class="${device.decodeErrors > 0 ? 'warn' : ''}">
  <td><code>${escape(device.deviceKey)}</code></td><td>${escape(device.assetId)}</td><td>${escape(device.profile)}</td>
  <td>${escape(ago(device.lastSeenAt, now))}</td><td>${escape(device.lastValue)}</td>
  <td>${device.batteryPercent !== undefined ? `${escape(device.batteryPercent)} %` : device.batteryV !== undefined ? `${escape(device.batteryV)} V` : '–'}</td>
  <td>${device.rssiDbm !== undefined ? `${escape(device.rssiDbm)} dBm` : '–'}</td>
  <td>${escape(device.decodeErrors)}</td><td>${escape(device.deadLetters)}</td><td>${escape(device.lastError)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="da"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="10"><title>sensorbro gateway ${escape(status.gateway.id)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1rem;color:#1b1b1b}h1{font-size:1.3rem}
.cards{display:flex;flex-wrap:wrap;gap:.75rem}.card{border:1px solid #ccc;border-radius:6px;padding:.6rem .9rem;min-width:12rem}
.ok{border-left:6px solid #2e7d32}.bad{border-left:6px solid #c62828}table{border-collapse:collapse;margin-top:1rem;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;font-size:.9rem}tr.warn{background:#fff4e5}
.card.warn{border-left:6px solid #ef6c00}table.counters{margin-top:.3rem;width:auto}table.counters td{padding:.1rem .4rem}td.num{text-align:right}
</style></head><body>
<h1>Gateway ${escape(status.gateway.name ?? status.gateway.id)} <small>(${escape(status.gateway.id)}, kommune ${escape(status.gateway.kommune)})</small></h1>
<div class="cards">
<div class="card ${cloudOk ? 'ok' : 'bad'}"><b>Forbindelse til skyen</b><br>${escape(cloudStates[status.cloud.state])}<br>
Sidst leveret: ${escape(ago(status.cloud.lastSuccessAt, now))}${status.cloud.lastError ? `<br>Fejl: ${escape(status.cloud.lastError)}` : ''}</div>
<div class="card ${quotaUse < 0.8 && status.queue.droppedAtQuota === 0 ? 'ok' : 'bad'}"><b>Kø</b><br>${escape(status.queue.depth)} målinger venter<br>
Ældste: ${status.queue.oldestAgeS !== undefined ? `${escape(status.queue.oldestAgeS)} s` : '–'}<br>
Diskforbrug: ${escape(Math.round(quotaUse * 100))} % af kvoten${status.queue.droppedAtQuota > 0 ? `<br><b>Tabt ved fuld kvote: ${escape(status.queue.droppedAtQuota)}</b>` : ''}</div>
<div class="card ${status.sources.every((s) => s.connected) ? 'ok' : 'bad'}"><b>Datakilder</b><br>${status.sources
    .map((source) => `${escape(source.name)}: ${source.connected ? 'forbundet' : `afbrudt${source.detail ? ` (${escape(source.detail)})` : ''}`}`)
    .join('<br>') || 'ingen'}</div>
${status.sources.flatMap((source) => (source.counters ? [countersCard(source.name, source.counters)] : [])).join('\n')}
<div class="card ${status.deadLetters.total === 0 ? 'ok' : 'bad'}"><b>Afviste beskeder</b><br>${escape(status.deadLetters.total)} gemt til gennemsyn<br>
Modtaget i alt: ${escape(status.pipeline.uplinks)}</div>
</div>
<table><thead><tr><th>Enhed</th><th>Aktiv</th><th>Profil</th><th>Sidst hørt</th><th>Seneste værdi</th><th>Batteri</th><th>Signal</th><th>Afkodningsfejl</th><th>Afviste</th><th>Seneste fejl</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p><small>Kørt siden ${escape(status.gateway.startedAt)} · <a href="/api/status">JSON</a> · <a href="/metrics">Prometheus</a></small></p>
</body></html>`;
}
