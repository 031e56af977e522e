// The Chromium test page: runs every gpu case and streams results to
// scripts/chromium-test.mjs through window.__report (a Playwright binding).
import { suites } from '../suites/index.ts';
import { CASE_TIMEOUT_MS, runCase, useGpuDevice } from '../harness/runner.ts';
import { caseId, selectCases } from '../harness/suite.ts';
import { acquireGpu, GpuErrorGuard } from '../harness/webgpu.ts';

export type Report =
  | { type: 'adapter'; name: string; total: number }
  | { type: 'start'; id: string }
  | { type: 'end'; id: string; ok: boolean; ms: number; error?: string }
  | { type: 'fatal'; error: string }
  | { type: 'done'; passed: number; failed: number };

const w = window as unknown as { __report?: (r: Report) => Promise<void>; __results: Report[] };
w.__results = [];

async function report(r: Report): Promise<void> {
  w.__results.push(r); // also kept on the page for inspection when no binding is present
  await w.__report?.(r);
}

function describe(e: unknown): string {
  if (e instanceof Error) return e.stack && e.stack.includes(e.message) ? e.stack : `${e.name}: ${e.message}\n${e.stack ?? ''}`;
  return String(e);
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const filter = params.get('filter') ?? '';
  const timeoutMs = Number(params.get('caseTimeoutMs')) || CASE_TIMEOUT_MS;
  let guard: GpuErrorGuard;
  const cases = selectCases(suites, 'gpu', filter);
  try {
    const setup = await acquireGpu(navigator.gpu, 'Chromium');
    await useGpuDevice(setup.device);
    guard = new GpuErrorGuard(setup.device);
    await report({ type: 'adapter', name: setup.adapterName, total: cases.length });
  } catch (e) {
    await report({ type: 'fatal', error: describe(e) });
    return;
  }
  let passed = 0;
  let failed = 0;
  for (const c of cases) {
    const id = caseId(c);
    await report({ type: 'start', id });
    const t0 = performance.now();
    try {
      await runCase(c, { device: 'gpu', runtime: 'chromium' }, { guard, timeoutMs });
      passed++;
      await report({ type: 'end', id, ok: true, ms: performance.now() - t0 });
    } catch (e) {
      failed++;
      await report({ type: 'end', id, ok: false, ms: performance.now() - t0, error: describe(e) });
    }
  }
  await report({ type: 'done', passed, failed });
}

main().catch((e) => report({ type: 'fatal', error: describe(e) }));
