// One case, the same way in every runner: select the mx device, run with a
// timeout, and fail on WebGPU errors the case left behind.
import * as mx from './mx.ts';
import { caseId, withTimeout, type Case, type DeviceName, type TestCtx } from './suite.ts';
import type { GpuErrorGuard } from './webgpu.ts';

export const CASE_TIMEOUT_MS = 60_000;

export async function useGpuDevice(device: GPUDevice): Promise<void> {
  await mx.gpu.use(device);
}

export function setMxDevice(d: DeviceName): void {
  mx.setDefaultDevice(d === 'cpu' ? mx.cpu : mx.gpu);
}

export async function runCase(c: Case, ctx: TestCtx, guard?: GpuErrorGuard, timeoutMs = CASE_TIMEOUT_MS): Promise<void> {
  setMxDevice(ctx.device);
  guard?.begin();
  let failure: unknown;
  try {
    await withTimeout(c.fn(ctx), timeoutMs, caseId(c));
  } catch (e) {
    failure = e;
  }
  const gpuErrors = guard ? await withTimeout(guard.end(), 10_000, 'popErrorScope') : [];
  if (failure !== undefined) {
    if (gpuErrors.length && failure instanceof Error) failure.message += '\n' + gpuErrors.join('\n');
    throw failure;
  }
  if (gpuErrors.length) throw new Error(gpuErrors.join('\n'));
}

/** Name filter shared by all runners (WEBMLX_TEST_FILTER, substring of suite/name). */
export const FILTER_ENV = 'WEBMLX_TEST_FILTER';
