// Every gpu case under Node + dawn.node (npm `webgpu`) on SwiftShader's Vulkan driver.
/// <reference types="node" />
import { afterAll, it } from 'vitest';
import { create, globals } from 'webgpu';
import { registerCases } from './cases.ts';
import { useGpuDevice } from '../harness/runner.ts';
import { acquireGpu, GpuErrorGuard, type GpuSetup } from '../harness/webgpu.ts';

// Dawn rejects Debian 12's lavapipe, so default to SwiftShader; must be set before create().
// An explicit VK_ICD_FILENAMES wins (e.g. pointing at nothing to check the no-adapter path).
process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
Object.assign(globalThis, globals);
// disable_workgroup_init: SwiftShader's compile time grows with zero-initialised workgroup
// memory (7 s for a 16 KB kernel, 22 ms without); webmlx's kernels initialise what they read
const gpu = create(['backend=vulkan', 'enable-dawn-features=disable_workgroup_init']);
// vitest runs this module inside a function: pin the GPU object, or its collection aborts dawn.node.
(globalThis as { __mxDawnGpu?: GPU }).__mxDawnGpu = gpu;

let setup: GpuSetup | undefined;
let failure: unknown;
try {
  setup = await acquireGpu(gpu, `Node + dawn.node (VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES})`);
  await useGpuDevice(setup.device);
  console.log(`[node-webgpu] adapter: ${setup.adapterName}`);
} catch (e) {
  failure = e;
}

if (setup) {
  const guard = new GpuErrorGuard(setup.device);
  registerCases('gpu', () => guard);
  afterAll(() => setup?.device.destroy());
} else {
  // Fail, never skip: a missing adapter must turn CI red.
  it('WebGPU adapter and device', () => {
    throw failure;
  });
}
