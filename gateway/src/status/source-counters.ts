/** What one of a source's counters means, for the status page (Danish) and /metrics (English). */
export interface CounterMeaning {
  label: string;
  help: string;
  /** Above 0 it needs a technician's eye: a misconfigured sensor, an attack, a full gateway. */
  alarm: boolean;
}

/**
 * The counters sources keep (see SourceState.counters), in the order a technician reads them:
 * refused and throttled logins first. A counter not named here is still shown, under its own name.
 */
const meanings: Record<string, CounterMeaning> = {
  loginsRefused: { label: 'Afviste logins (forkert brugernavn eller adgangskode, anonym)', help: 'Logins refused: wrong password, unknown user or anonymous', alarm: true },
  loginsThrottled: { label: 'Spærrede logins (for mange fejlforsøg fra samme adresse)', help: 'Logins refused unchecked because the address failed too often', alarm: true },
  refusedPublishes: { label: 'Afviste beskeder til et fremmed eller ukendt topic', help: "Publishes refused: another device's topic or no configured topic", alarm: true },
  refusedSubscriptions: { label: 'Afviste abonnementer', help: 'Subscriptions refused (sensors may only publish)', alarm: true },
  oversizedFrames: { label: 'For store pakker (forbindelsen lukket)', help: 'Connections closed for a packet above the frame limit', alarm: true },
  droppedConnections: { label: 'Afviste forbindelser (for mange på én gang)', help: 'Connections dropped because the connection limit was reached', alarm: true },
  tlsErrors: { label: 'Mislykkede TLS-forbindelser', help: 'Failed TLS handshakes', alarm: true },
  sinkFailures: { label: 'Beskeder der ikke kunne gemmes', help: 'Messages not stored (the device sends them again)', alarm: true },
  connections: { label: 'Forbindelser', help: 'Connections opened', alarm: false },
  logins: { label: 'Godkendte logins', help: 'Logins accepted', alarm: false },
  messages: { label: 'Modtagne beskeder', help: 'Messages handed on for decoding or as dead letters', alarm: false },
  uplinks: { label: 'Beskeder til afkodning', help: 'Messages handed on for decoding', alarm: false },
  rejected: { label: 'Ulæselige beskeder (gemt som afviste)', help: 'Messages kept as dead letters by the source (unreadable or oversized)', alarm: false },
  deviceEvents: { label: 'Enhedshændelser fra netværksserveren (join, status)', help: 'Device events (joins, status) from the network server', alarm: false },
  unacknowledged: { label: 'Ikke kvitterede beskeder (netværksserveren sender dem igen)', help: 'Messages left unacknowledged; the broker sends them again', alarm: false },
  duplicates: { label: 'Gentagne beskeder (ikke talt igen)', help: 'QoS 2 retransmissions of a message already handed on', alarm: false },
};

export interface NamedCounter extends CounterMeaning {
  name: string;
  value: number;
}

/** A source's counters with their meanings, the known ones first in the order above. */
export function describeCounters(counters: Readonly<Record<string, number>>): NamedCounter[] {
  const known = Object.keys(meanings).filter((name) => Object.hasOwn(counters, name));
  const unknown = Object.keys(counters).filter((name) => !Object.hasOwn(meanings, name));
  return [...known, ...unknown].map((name) => ({
    name,
    value: counters[name]!,
    ...(Object.hasOwn(meanings, name) ? meanings[name]! : { label: name, help: `${words(name)} (as counted by the source)`, alarm: false }),
  }));
}

/** `loginsRefused` → `logins refused`. */
export function words(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}
