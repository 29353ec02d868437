import pino, { type Logger } from 'pino';
import { ConfigError, startGateway } from '../app/gateway.js';

/**
 * `sensorbro gateway run <config>`: starts the gateway (the command line runs it until SIGTERM or
 * SIGINT); SIGHUP reloads the configuration. An exit code instead when it cannot start.
 *
 * Memory (bench:gateway, 10,000 devices, 1,000,000 queued records): ~145 MiB RSS just after start,
 * ~110 MiB once V8's memory reducer has given back the young generation start-up grew (15–25 s).
 * `NODE_OPTIONS=--max-semi-space-size=2` lowers only the first figure and costs ~40 % more CPU per
 * record in a backlog replay, so Node's defaults are the deployment setting.
 */
export async function startGatewayRun(args: string[]): Promise<number | { logger: Logger; stop(): Promise<void> }> {
  const [file, ...rest] = args;
  if (!file || rest.length > 0) {
    process.stderr.write('usage: sensorbro gateway run <config.yaml>\n');
    return 2;
  }
  const logger = pino({ name: 'sensorbro-gateway', level: process.env.LOG_LEVEL ?? 'info' });
  let gateway;
  try {
    gateway = await startGateway(file, { logger });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  process.stderr.write(`gateway running; status page: ${gateway.statusUrl}\n`);
  const running = gateway;
  process.on('SIGHUP', () => {
    running.reload().catch((error: unknown) => logger.error({ err: error instanceof Error ? error.message : error }, 'reload refused; the previous configuration stays'));
  });
  return { logger, stop: () => running.stop() };
}
