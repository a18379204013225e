import { defineConfig } from 'vitest/config';
import SummaryLineReporter from './test/helpers/summary-reporter.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/isolate-git.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    reporters: ['default', new SummaryLineReporter()],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
