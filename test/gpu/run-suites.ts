// Runs the gpu cases of every suite in plain Node on the default device webmlx finds (for the
// GPU machine, where vitest is not installed): bundled by bench/gpu-build.mjs as
// dist/gpu/suites.mjs. Usage: node dist/gpu/suites.mjs [substring of suite/name]
import * as mx from '../../src/index.ts';
import { suites } from '../suites/index.ts';
import { runCase } from '../harness/runner.ts';
import { caseId, selectCases } from '../harness/suite.ts';
import { GpuErrorGuard, setRawGpuDevice } from '../harness/webgpu.ts';

const argv = (globalThis as { process?: { argv: string[]; exit(c: number): never } }).process!;
const filter = argv.argv[2] ?? '';
const device = await mx.gpu.init();
setRawGpuDevice(device);
const info = await mx.gpu.info();
console.log(`adapter: ${info.device_name}; features: ${info.features}; subgroup matrix: ${info.subgroup_matrix || 'none'}`);
const guard = new GpuErrorGuard(device);
let failed = 0, passed = 0;
for (const c of selectCases(suites, 'gpu', filter)) {
  const t0 = performance.now();
  try {
    await runCase(c, { device: 'gpu', runtime: 'node' }, { guard });
    passed++;
    console.log(`ok   ${caseId(c)} (${(performance.now() - t0).toFixed(0)} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${caseId(c)}: ${String((e as Error).stack ?? e).slice(0, 1500)}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
argv.exit(failed ? 1 : 0);
