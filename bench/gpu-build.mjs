// Bundles the benchmarks for the GPU machine into dist/gpu/ (Node, dawn.node external);
// bench/train.ts also bundles the peers from bench/peers/node_modules.
import { build } from 'esbuild';
const common = {
  bundle: true, format: 'esm', target: 'es2022', platform: 'neutral', mainFields: ['module', 'main'], conditions: ['import', 'default'],
  nodePaths: ['bench/peers/node_modules'], logLevel: 'warning', minify: true,
  external: ['webgpu', 'node:*', 'util', 'node-fetch', 'worker_threads', 'crypto', 'fs', 'path', 'module', 'url', 'os'],
};
for (const name of ['ops', 'kernels', 'lm', 'train', 'profile']) {
  await build({ ...common, entryPoints: [`bench/${name}.ts`], outfile: `dist/gpu/${name}.mjs` });
}
// the test suites' gpu cases, for correctness at the device's own paths (subgroup matrices, ...)
// (class names kept: error messages name them)
await build({ ...common, keepNames: true, entryPoints: ['test/gpu/run-suites.ts'], outfile: 'dist/gpu/suites.mjs' });
console.log('built dist/gpu/{ops,kernels,lm,train,profile,suites}.mjs');
