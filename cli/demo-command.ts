import { parseArgs } from 'node:util';
import { runDecoderShowcase } from './demo/decoder-showcase.js';
import { runPlatformDemo } from './demo/platform.js';
import { UsageError } from './usage.js';

/** `sensorbro demo [--port N] [--cloud-port N] [--rate N] [--data DIR]` runs the platform demo; `--decoder` only shows the decoder. */
export async function runDemo(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      decoder: { type: 'boolean', default: false },
      port: { type: 'string', default: '8080' },
      'cloud-port': { type: 'string', default: '8081' },
      rate: { type: 'string', default: '5' },
      data: { type: 'string', default: '.data/demo' },
    },
  });
  if (values.decoder) return runDecoderShowcase();
  const statusPort = Number(values.port);
  const cloudPort = Number(values['cloud-port']);
  if (!Number.isInteger(cloudPort) || cloudPort < 0 || cloudPort > 65535) throw new UsageError('--cloud-port must be 0..65535');
  const ratePerSecond = Number(values.rate);
  if (!Number.isInteger(statusPort) || statusPort < 0 || statusPort > 65535) throw new UsageError('--port must be 0..65535');
  if (!(ratePerSecond > 0 && ratePerSecond <= 10_000)) throw new UsageError('--rate must be 1..10000 messages per second');
  return runPlatformDemo({ dataDir: values.data, statusPort, cloudPort, ratePerSecond });
}
