#!/usr/bin/env node
import { UsageError } from './usage.js';

const usage = `sensorbro — IoT gateway and sensor data platform for Danish municipalities

Usage:
  sensorbro decode --profile <id> --fport <n> --hex <payload> [--param key=value ...]
                   [--device <id>] [--kommune <code>] [--gateway <id>] [--received-at <ISO time>]
  sensorbro profiles [--json]
  sensorbro gateway run|check|status <config>
  sensorbro gateway dead-letters <config> [--device KEY] [--replay]
  sensorbro cloud run [--port N] [--store sqlite|influx] [--data DIR]
  sensorbro demo [--port N] [--rate N] [--data DIR] [--decoder]
`;

// Each command's modules load only when it runs: `gateway run` on a small device does not carry the cloud's code.
const commands: Record<string, (args: string[]) => Promise<number>> = {
  decode: async (args) => (await import('./decode-command.js')).runDecode(args),
  profiles: async (args) => (await import('./profiles-command.js')).runProfiles(args),
  demo: async (args) => (await import('./demo-command.js')).runDemo(args),
  gateway: async (args) => (await import('./gateway-command.js')).runGateway(args),
  cloud: async (args) => (await import('./cloud-command.js')).runCloud(args),
};

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command "${name}"`);
  return command(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n\n${usage}`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    }
  },
);
