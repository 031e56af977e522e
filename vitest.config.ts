import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'cpu',
          include: ['test/node/cpu.test.ts'],
          testTimeout: 120_000,
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
          testTimeout: 120_000,
        },
      },
    ],
  },
});
