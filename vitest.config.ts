import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules', 'dist'],
    // Integration tests start real processes; give them room on a busy 2-core machine.
    testTimeout: 60_000,
  },
});
