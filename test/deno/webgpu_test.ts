// Every gpu case under Deno (wgpu; lavapipe's Vulkan here), one Deno.test per case.
// Run through scripts/deno-test.mjs, which pins the Vulkan backend and a timeout.
import { suites } from '../suites/index.ts';
import { CASE_TIMEOUT_ENV, FILTER_ENV, TRACE_ENV, runCase, useGpuDevice } from '../harness/runner.ts';
import { caseId, selectCases } from '../harness/suite.ts';
import { acquireGpu, GpuErrorGuard, type GpuSetup } from '../harness/webgpu.ts';

// Typed locally so `tsc` (which has no Deno types) still checks this file.
interface DenoTest {
  name: string;
  fn: () => Promise<void> | void;
  sanitizeOps?: boolean;
  sanitizeResources?: boolean;
}
const Deno = (globalThis as unknown as {
  Deno: { test(t: DenoTest): void; env: { get(k: string): string | undefined } };
}).Deno;

const filter = Deno.env.get(FILTER_ENV) ?? '';
const timeoutMs = Number(Deno.env.get(CASE_TIMEOUT_ENV)) || undefined;
const trace = Deno.env.get(TRACE_ENV) ? (l: string) => console.error(l) : undefined;
// GPU work leaves pending ops and resources across tests by design.
const opts = { sanitizeOps: false, sanitizeResources: false };

let setup: GpuSetup | undefined;
let failure: unknown;
try {
  const backend = Deno.env.get('DENO_WEBGPU_BACKEND') ?? 'default';
  setup = await acquireGpu(navigator.gpu, `Deno (DENO_WEBGPU_BACKEND=${backend})`);
  await useGpuDevice(setup.device);
  console.error(`[deno] adapter: ${setup.adapterName}`);
} catch (e) {
  failure = e;
}

if (!setup) {
  // Fail, never skip: a missing adapter must turn CI red.
  Deno.test({ name: 'WebGPU adapter and device', fn: () => { throw failure; }, ...opts });
} else {
  const guard = new GpuErrorGuard(setup.device);
  const cases = selectCases(suites, 'gpu', filter);
  if (cases.length === 0 && !filter) {
    Deno.test({ name: 'suites list gpu cases', fn: () => { throw new Error('test/suites/index.ts yields no gpu cases'); } });
  }
  for (const c of cases) {
    Deno.test({ name: caseId(c), fn: () => runCase(c, { device: 'gpu', runtime: 'deno' }, { guard, trace, timeoutMs }), ...opts });
  }
}
