import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Benchmarks that run under vitest (they print figures, assert nothing) only when asked for.
    include: process.env.SENSORBRO_BENCH ? ['test/bench/**/*.test.ts'] : ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    exclude: ['node_modules', 'dist'],
    // Integration tests start real processes; give them room on a busy 2-core machine.
    testTimeout: 60_000,
  },
});
