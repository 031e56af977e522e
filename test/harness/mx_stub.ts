// Stand-in for src/index.ts until it exists: just the device API the runners call.
// Delete this file once test/harness/mx.ts re-exports the real library.

export interface StubDevice {
  readonly type: 'cpu' | 'gpu';
}

export const cpu: StubDevice = { type: 'cpu' };

export const gpu = {
  type: 'gpu' as const,
  device: undefined as GPUDevice | undefined,
  use(device: GPUDevice): void {
    this.device = device;
  },
};

let current: StubDevice = cpu;

export function setDefaultDevice(d: StubDevice): void {
  current = d;
}

export function defaultDevice(): StubDevice {
  return current;
}
