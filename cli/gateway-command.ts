import { runGatewayCheck } from '../gateway/src/cli/check-command.js';
import { runGatewayDeadLetters } from '../gateway/src/cli/dead-letters-command.js';
import { startGatewayRun } from '../gateway/src/cli/run-command.js';
import { runGatewayStatus } from '../gateway/src/cli/status-command.js';
import { runCommand } from './run-until-stopped.js';
import { UsageError } from './usage.js';

const subcommands: Record<string, (args: string[]) => Promise<number>> = {
  run: runCommand(startGatewayRun),
  check: runGatewayCheck,
  status: runGatewayStatus,
  'dead-letters': runGatewayDeadLetters,
};

/** `sensorbro gateway <subcommand>`. */
export async function runGateway(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  const subcommand = name === undefined ? undefined : subcommands[name];
  if (!subcommand) throw new UsageError(`gateway needs a subcommand: ${Object.keys(subcommands).join(', ')}`);
  return subcommand(rest);
}
