// Builds the package: embeds shaders, bundles each entry with esbuild, emits .d.ts with tsc.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';

const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });
if (existsSync('scripts/embed-shaders.mjs')) run(process.execPath, ['scripts/embed-shaders.mjs']);
rmSync('dist/types', { recursive: true, force: true });
const entries = {
  index: 'src/index.ts',
  'nn/index': 'src/nn/index.ts',
  'optimizers/index': 'src/optimizers/index.ts',
  'data/index': 'src/data/index.ts',
  'lm/index': 'src/lm/index.ts',
  // A module worker for createWorkerEngine: new Worker(new URL('webmlx/dist/lm/worker.js', import.meta.url), { type: 'module' })
  'lm/worker': 'src/lm/worker.ts',
};
await build({
  entryPoints: entries,
  outdir: 'dist',
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'neutral',
  splitting: true,
  sourcemap: true,
  // dawn.node is loaded at run time in Node only
  external: ['webgpu'],
  logLevel: 'warning',
});
// The `webmlx` command (package.json bin): one Node file; its shebang comes from src/lm/cli.ts.
await build({
  entryPoints: { cli: 'src/lm/cli.ts' },
  outdir: 'dist',
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'node',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']);
console.log('built dist/');
