// WebGPU plumbing shared by the three GPU runners: adapter/device lookup that
// fails loudly, a handle on the raw device for raw-WebGPU tests, and error capture.

let rawDevice: GPUDevice | undefined;
// dawn.node crashes (futex error, SIGSEGV, std::system_error) once the GPU object from
// create() is garbage-collected while its device lives; pin it and the adapter for good.
const keepAlive: unknown[] = [];

/** Records a device the runner opened another way (e.g. webmlx's own, in test/gpu/run-suites.ts). */
export function setRawGpuDevice(device: GPUDevice): void {
  rawDevice = device;
}

/** The GPUDevice the runner handed to mx; raw-WebGPU tests use it directly. */
export function rawGpuDevice(): GPUDevice {
  if (!rawDevice) throw new Error('no GPU device: this case must run under a GPU runner');
  return rawDevice;
}

export interface GpuSetup {
  device: GPUDevice;
  adapterName: string;
}

export function adapterName(adapter: GPUAdapter): string {
  const i = adapter.info;
  const parts = [i?.vendor, i?.architecture, i?.device, i?.description].filter((s) => s !== undefined && s !== '');
  return parts.join(' / ') || '(no adapter info)';
}

/**
 * Requests an adapter and a device with every feature and the adapter's best limits,
 * so mx sees all this adapter offers. Throws (never returns null) when there is none.
 */
export async function acquireGpu(gpu: GPU | undefined, where: string): Promise<GpuSetup> {
  if (!gpu) throw new Error(`WebGPU is not available in ${where} (navigator.gpu is undefined)`);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error(`no WebGPU adapter in ${where}: requestAdapter() returned null`);
  keepAlive.push(gpu, adapter);
  const requiredLimits: Record<string, number> = {};
  for (const k in adapter.limits) {
    const v = (adapter.limits as unknown as Record<string, unknown>)[k];
    if (typeof v === 'number') requiredLimits[k] = v;
  }
  const device = await adapter.requestDevice({
    requiredFeatures: [...adapter.features] as GPUFeatureName[],
    requiredLimits,
  });
  rawDevice = device;
  return { device, adapterName: adapterName(adapter) };
}

/**
 * Wraps each case in error scopes and watches device loss, so a validation error
 * or a lost device fails the case that caused it instead of passing silently.
 */
export class GpuErrorGuard {
  private lost: string | undefined;
  constructor(private readonly device: GPUDevice) {
    device.lost.then((info) => {
      this.lost = `GPU device lost (${info.reason}): ${info.message}`;
    });
  }
  begin(): void {
    if (this.lost) throw new Error(this.lost);
    this.device.pushErrorScope('internal');
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
  }
  /** Pops the scopes and returns the errors seen (empty when clean). */
  async end(): Promise<string[]> {
    const out: string[] = [];
    for (const kind of ['validation', 'out-of-memory', 'internal']) {
      const e = await this.device.popErrorScope().catch((x: unknown) => ({ message: String(x) }));
      if (e) out.push(`uncaught WebGPU ${kind} error: ${e.message}`);
    }
    if (this.lost) out.push(this.lost);
    return out;
  }
}
