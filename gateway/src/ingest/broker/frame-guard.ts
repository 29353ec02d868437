import type { Duplex } from 'node:stream';

export type FrameCheck = { ok: true } | { ok: false; reason: string; frameBytes?: number };

/**
 * Follows the MQTT fixed headers (packet type byte, then the remaining length as a variable byte
 * integer) through the bytes of one connection and says when a packet announces more than
 * `maxFrameBytes`. The MQTT parser aedes uses has no size limit: it would buffer a packet of up to
 * 256 MB before anything else could look at it.
 */
export class FrameGuard {
  private state: 'header' | 'length' | 'body' = 'header';
  private length = 0;
  private lengthBytes = 0;
  private remaining = 0;

  constructor(readonly maxFrameBytes: number) {}

  feed(chunk: Uint8Array): FrameCheck {
    let at = 0;
    while (at < chunk.length) {
      if (this.state === 'header') {
        at++;
        this.state = 'length';
        this.length = 0;
        this.lengthBytes = 0;
      } else if (this.state === 'length') {
        const byte = chunk[at++]!;
        this.length += (byte & 0x7f) * 128 ** this.lengthBytes;
        this.lengthBytes++;
        if (byte & 0x80) {
          if (this.lengthBytes === 4) return { ok: false, reason: 'malformed remaining length' };
          continue;
        }
        if (this.length > this.maxFrameBytes) return { ok: false, reason: 'packet too large', frameBytes: this.length };
        this.remaining = this.length;
        this.state = this.remaining > 0 ? 'body' : 'header';
      } else {
        const skip = Math.min(this.remaining, chunk.length - at);
        at += skip;
        this.remaining -= skip;
        if (this.remaining === 0) this.state = 'header';
      }
    }
    return { ok: true };
  }
}

/**
 * Watches what aedes reads from `conn` and destroys the connection at the first packet above the
 * limit. aedes reads in paused mode ('readable' + read()); a 'data' listener beside it sees each
 * chunk as read() hands it over, without switching the stream to flowing mode (Node: "'readable'
 * takes precedence"), so the guard costs no copy and changes no backpressure. The chunk in hand
 * still reaches aedes' parser; the connection ends before any more does.
 */
export function guardConnection(conn: Duplex, maxFrameBytes: number, onViolation: (check: Exclude<FrameCheck, { ok: true }>) => void): void {
  const guard = new FrameGuard(maxFrameBytes);
  const watch = (chunk: Buffer) => {
    const check = guard.feed(chunk);
    if (check.ok) return;
    conn.removeListener('data', watch);
    onViolation(check);
    conn.destroy();
  };
  conn.on('data', watch);
}
