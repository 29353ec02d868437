import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { findExecutable, freePort } from './local-host.js';

/**
 * A real Mosquitto broker for tests, started by the test itself: loopback only, a free port, a
 * temporary directory for config, persistence and log. Persistence is on, so a restart (SIGTERM,
 * which saves, then start again on the same port) keeps persistent sessions and their QoS 1 queues.
 */


/** The mosquitto binary, or undefined when it is not installed (tests that need it then skip). */
export const mosquittoBinary: string | undefined = findExecutable('mosquitto');

/** For describe(): tells why a suite is skipped. */
export const mosquittoMissing = mosquittoBinary
  ? ''
  : ' [SKIPPED: mosquitto not installed; install it, e.g. apt-get install -y mosquitto]';

export interface MosquittoOptions {
  /** username → password; when given, anonymous clients are refused. */
  users?: Record<string, string>;
}

export interface Mosquitto {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Stops (SIGTERM: the broker writes its persistence file) and waits for the exit. */
  stop(): Promise<void>;
  /** Starts again on the same port with the same persistence. */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** The broker's log so far, for failure messages. */
  log(): string;
  /** Stops the broker and removes its directory. */
  dispose(): Promise<void>;
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const binary = mosquittoBinary;
  if (!binary) throw new Error('mosquitto is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'sensorbro-mosquitto-'));
  const port = await freePort();
  const logFile = join(dir, 'mosquitto.log');
  mkdirSync(join(dir, 'data'));
  const config = [
    `listener ${port} 127.0.0.1`,
    // Running as root, mosquitto would switch to the user "mosquitto", who cannot write here.
    `user ${userInfo().username}`,
    'persistence true',
    `persistence_location ${join(dir, 'data')}/`,
    'autosave_interval 1',
    // Mosquitto's default (1000) drops messages for an offline session beyond it.
    'max_queued_messages 0',
    `log_dest file ${logFile}`,
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'connection_messages true',
  ];
  if (options.users) {
    const passwordFile = join(dir, 'passwd');
    writeFileSync(passwordFile, '', { mode: 0o600 });
    const passwd = findExecutable('mosquitto_passwd');
    if (!passwd) throw new Error('mosquitto_passwd is not installed');
    for (const [user, password] of Object.entries(options.users)) execFileSync(passwd, ['-b', passwordFile, user, password]);
    config.push('allow_anonymous false', `password_file ${passwordFile}`);
  } else {
    config.push('allow_anonymous true');
  }
  const configFile = join(dir, 'mosquitto.conf');
  writeFileSync(configFile, `${config.join('\n')}\n`);

  let child: ChildProcess | undefined;
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '(no log)';
    }
  };

  const start = async () => {
    if (child) throw new Error('mosquitto is already running');
    const started = spawn(binary, ['-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    started.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let exited = false;
    started.once('exit', () => (exited = true));
    child = started;
    const deadline = Date.now() + 15_000;
    while (!(await accepts(port))) {
      if (exited) {
        child = undefined;
        throw new Error(`mosquitto exited at start: ${stderr}\n${log()}`);
      }
      if (Date.now() > deadline) {
        started.kill('SIGKILL');
        child = undefined;
        throw new Error(`mosquitto did not listen on ${port}: ${stderr}\n${log()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  const stop = async () => {
    const running = child;
    if (!running) return;
    child = undefined;
    if (running.exitCode !== null || running.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const hard = setTimeout(() => running.kill('SIGKILL'), 15_000);
      running.once('exit', () => {
        clearTimeout(hard);
        resolve();
      });
      running.kill('SIGTERM');
    });
  };

  await start();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dir,
    start,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    log,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}


function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
