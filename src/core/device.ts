// Devices (MLX's streams collapse to one per device here) and the default device.

export type DeviceType = 'cpu' | 'gpu';

/** A place arrays are computed: `mx.cpu` or `mx.gpu`. @example mx.add(a, b, { stream: mx.cpu }) */
export class Device {
  /** @internal */
  constructor(readonly type: DeviceType) {}
  toString(): string {
    return `Device(${this.type}, 0)`;
  }
}

/** Hooks the WebGPU backend installs so `mx.gpu` can hand out and take devices. */
export interface GpuHooks {
  use(device: GPUDevice): void;
  init(): Promise<GPUDevice>;
  current(): GPUDevice | null;
  /** Adapter description and limits (opens the device). */
  info(): Promise<Record<string, string | number>>;
}
let hooks: GpuHooks | null = null;
/** @internal */
export function installGpuHooks(h: GpuHooks): void {
  hooks = h;
}

/** The WebGPU device. It is found on first use; `use` hands one in. */
export class GpuDevice extends Device {
  /** @internal */
  constructor() {
    super('gpu');
  }
  /**
   * Hands webmlx a GPUDevice to use instead of finding one.
   * @example
   * const adapter = await navigator.gpu.requestAdapter();
   * mx.gpu.use(await adapter!.requestDevice());
   */
  use(device: GPUDevice): void {
    if (!hooks) throw new Error('[gpu.use] The WebGPU backend is not loaded.');
    hooks.use(device);
  }
  /**
   * Finds and opens the WebGPU device now (otherwise it happens on the first GPU eval).
   * Throws a clear error when the runtime has no WebGPU adapter.
   * @example
   * const dev = await mx.gpu.init();
   */
  init(): Promise<GPUDevice> {
    if (!hooks) throw new Error('[gpu.init] The WebGPU backend is not loaded.');
    return hooks.init();
  }
  /** Adapter name, limits and features of the WebGPU device (opens it). @example await mx.gpu.info() */
  info(): Promise<Record<string, string | number>> {
    if (!hooks) throw new Error('[gpu.info] The WebGPU backend is not loaded.');
    return hooks.info();
  }
  /** The GPUDevice in use, or null before the first GPU evaluation. */
  get device(): GPUDevice | null {
    return hooks?.current() ?? null;
  }
}

/** The CPU device: a TypeScript implementation, also the reference oracle. */
export const cpu = new Device('cpu');
/** The WebGPU device. */
export const gpu = new GpuDevice();

let defaultDev: Device = gpu;

/**
 * Sets the device ops run on when no `stream` option is given.
 * @example
 * mx.setDefaultDevice(mx.cpu);
 */
export function setDefaultDevice(d: Device): void {
  if (d !== cpu && d !== gpu) throw new TypeError('[setDefaultDevice] Expected mx.cpu or mx.gpu.');
  defaultDev = d;
}

/**
 * The device ops run on by default (`mx.gpu` unless changed).
 * @example
 * mx.defaultDevice().type; // 'gpu'
 */
export function defaultDevice(): Device {
  return defaultDev;
}

/** Per-op option, as MLX's `stream=` keyword. */
export interface StreamOpt {
  stream?: Device;
}

/** Resolves an op's device from its options. */
export function resolveDevice(opts?: StreamOpt): Device {
  const s = opts?.stream;
  if (s === undefined) return defaultDev;
  if (s !== cpu && s !== gpu) throw new TypeError('[stream] Expected mx.cpu or mx.gpu as stream.');
  return s;
}
