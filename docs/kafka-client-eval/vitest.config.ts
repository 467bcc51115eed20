import { defineConfig } from 'vitest/config';
export default defineConfig({
  test: { include: ['*.test.ts'], pool: 'forks', poolOptions: { forks: { singleFork: true } }, testTimeout: 600_000, hookTimeout: 300_000 },
});
