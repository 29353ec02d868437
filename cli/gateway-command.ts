import { runGatewayCheck } from '../gateway/src/cli/check-command.js';
import { UsageError } from './usage.js';

const subcommands: Record<string, (args: string[]) => Promise<number>> = {
  check: runGatewayCheck,
};

/** `sensorbro gateway <subcommand>`. */
export async function runGateway(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  const subcommand = name === undefined ? undefined : subcommands[name];
  if (!subcommand) throw new UsageError(`gateway needs a subcommand: ${Object.keys(subcommands).join(', ')}`);
  return subcommand(rest);
}
