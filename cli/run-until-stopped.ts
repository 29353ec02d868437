import type { Logger } from 'pino';

/** A long-running part (gateway, cloud) as its `run` command started it. */
export interface StartedService {
  logger: Pick<Logger, 'info' | 'error'>;
  stop(): Promise<void>;
}

/**
 * The `run` commands' shared ending: waits for SIGTERM or SIGINT, then stops the service once
 * (a second signal while stopping is ignored). Resolves 0 once stopped, 1 if stopping failed.
 */
export function runUntilStopped(service: StartedService): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      service.logger.info({ signal }, 'stopping');
      service.stop().then(
        () => resolve(0),
        (error: unknown) => {
          service.logger.error({ err: error }, 'stop failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

/** A `run` subcommand: starts the service (or answers an exit code, e.g. for bad arguments), then runs it until a signal. */
export function runCommand(start: (args: string[]) => Promise<number | StartedService>): (args: string[]) => Promise<number> {
  return async (args) => {
    const started = await start(args);
    return typeof started === 'number' ? started : runUntilStopped(started);
  };
}
