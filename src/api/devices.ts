// MLX's device queries. WebGPU exposes one device per adapter, and its answers come
// back asynchronously, so these return promises where MLX returns values.
import { type Device, type DeviceType, cpu, gpu, defaultDevice } from '../core/device.ts';
import { evalsDone } from '../ir/eval.ts';

/**
 * Waits until all evaluations started so far, and their GPU work, have finished.
 * @example
 * mx.asyncEval(y); await mx.synchronize();
 */
export async function synchronize(_device?: Device): Promise<void> {
  await evalsDone();
  const d = gpu.device;
  if (d) await d.queue.onSubmittedWorkDone();
}

/**
 * How many devices of a type there are: 1 CPU; 1 GPU when a WebGPU adapter opens, else 0.
 * @example
 * await mx.deviceCount('gpu') // 1
 */
export async function deviceCount(type: DeviceType | Device): Promise<number> {
  const t = typeof type === 'string' ? type : type.type;
  if (t === 'cpu') return 1;
  try {
    await gpu.init();
    return 1;
  } catch {
    return 0;
  }
}

/**
 * Properties of a device (MLX's keys where they apply: device_name, architecture, ...).
 * @example
 * (await mx.deviceInfo(mx.gpu)).device_name
 */
export async function deviceInfo(d: Device | DeviceType = defaultDevice()): Promise<Record<string, string | number>> {
  const t = typeof d === 'string' ? d : d.type;
  if (t === 'cpu') {
    const nav = (globalThis as { navigator?: { hardwareConcurrency?: number; userAgent?: string } }).navigator;
    return { device_name: 'cpu', architecture: 'javascript', threads: nav?.hardwareConcurrency ?? 1, device: String(cpu) };
  }
  return gpu.info();
}
