import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';

/**
 * Stands in for a LoRaWAN network server's MQTT broker in the demo: loopback only, one generated
 * user (the simulator and the gateway share it), nothing anonymous.
 */
export async function startDemoBroker(): Promise<{ url: string; username: string; password: string; close(): Promise<void> }> {
  const username = 'sensorbro-demo';
  const password = randomBytes(18).toString('base64url');
  const expected = Buffer.from(password);
  const broker = await Aedes.createBroker({
    authenticate: (_client, user, given, done) => {
      const ok = user === username && given !== undefined && given.length === expected.length && timingSafeEqual(given, expected);
      done(null, ok);
    },
  });
  const server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`,
    username,
    password,
    close: () => new Promise<void>((resolve) => broker.close(() => server.close(() => resolve()))),
  };
}
