// One case, the same way in every runner: select the mx device, run with a
// timeout, and fail on WebGPU errors the case left behind.
import * as mx from './mx.ts';
import { caseId, withTimeout, type Case, type DeviceName, type TestCtx } from './suite.ts';
import type { GpuErrorGuard } from './webgpu.ts';

export const CASE_TIMEOUT_MS = 60_000;
/** Overrides CASE_TIMEOUT_MS in every runner. */
export const CASE_TIMEOUT_ENV = 'WEBMLX_CASE_TIMEOUT_MS';
/** Name filter shared by all runners: a substring of `suite/name`. */
export const FILTER_ENV = 'WEBMLX_TEST_FILTER';
/** When set, runners print each case as it starts (finds the case a native crash killed). */
export const TRACE_ENV = 'WEBMLX_TEST_TRACE';

export async function useGpuDevice(device: GPUDevice): Promise<void> {
  await mx.gpu.use(device);
}

export function setMxDevice(d: DeviceName): void {
  mx.setDefaultDevice(d === 'cpu' ? mx.cpu : mx.gpu);
}

export interface RunOptions {
  guard?: GpuErrorGuard;
  timeoutMs?: number;
  trace?: (line: string) => void;
}

export async function runCase(c: Case, ctx: TestCtx, opts: RunOptions = {}): Promise<void> {
  opts.trace?.(`[case] ${ctx.runtime}/${ctx.device} ${caseId(c)}`);
  setMxDevice(ctx.device);
  opts.guard?.begin();
  let failure: unknown;
  try {
    await withTimeout(c.fn(ctx), opts.timeoutMs ?? CASE_TIMEOUT_MS, caseId(c));
  } catch (e) {
    failure = e;
  }
  const gpuErrors = opts.guard ? await withTimeout(opts.guard.end(), 10_000, 'popErrorScope') : [];
  if (failure !== undefined) {
    if (gpuErrors.length && failure instanceof Error) failure.message += '\n' + gpuErrors.join('\n');
    throw failure;
  }
  if (gpuErrors.length) throw new Error(gpuErrors.join('\n'));
}
