import { defineConfig } from 'vitest/config';

// Above runCase's own per-case timeout (WEBMLX_CASE_TIMEOUT_MS), whose message is clearer.
const testTimeout = Math.max(120_000, Number(process.env.WEBMLX_CASE_TIMEOUT_MS || 0) + 30_000);

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'cpu',
          include: ['test/node/cpu.test.ts', 'test/node/api.test.ts'],
          testTimeout,
        },
      },
      {
        test: {
          name: 'node-webgpu',
          include: ['test/node/webgpu.test.ts'],
          // dawn.node in one process, no file parallelism or re-isolation.
          pool: 'forks',
          maxWorkers: 1,
          fileParallelism: false,
          isolate: false,
          testTimeout,
        },
      },
      {
        // webmlx/lm delivery: Hub downloads, the HTTP server, the chat page (Chromium).
        test: {
          name: 'lm',
          include: ['test/node/lm*.test.ts'],
          fileParallelism: false,
          testTimeout,
        },
      },
    ],
  },
});
