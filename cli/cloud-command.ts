import { startCloudRun } from '../cloud/src/cli/run.js';
import { runCommand } from './run-until-stopped.js';
import { UsageError } from './usage.js';

const subcommands: Record<string, (args: string[]) => Promise<number>> = {
  run: runCommand(startCloudRun),
};

/** `sensorbro cloud <subcommand>`. */
export async function runCloud(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  const subcommand = name === undefined ? undefined : subcommands[name];
  if (!subcommand) throw new UsageError(`cloud needs a subcommand: ${Object.keys(subcommands).join(', ')}`);
  return subcommand(rest);
}
