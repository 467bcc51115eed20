import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      // Milliseconds each when idle; some simulate a whole trace, so next to CPU hogs a test gets 30 s, not vitest's 5.
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/contract/**/*.test.ts'], testTimeout: 30_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Real JVMs on 2 cores: one file at a time (a single fork), generous timeouts.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 600_000,
          hookTimeout: 300_000,
          globalSetup: ['test/integration/global-setup.ts'],
        },
      },
      {
        test: {
          // The dashboard in Debian's chromium, driven by playwright-core (no browser download).
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          // A real Kubernetes control plane (scripts/k8s/build.sh, then src/adapters/k8s/control-plane.ts); no JVM.
          name: 'k8s',
          include: ['test/k8s/**/*.test.ts'],
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
