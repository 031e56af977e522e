// The WebGPU backend: lazy graphs compiled to fused WGSL kernels. Registers itself as the
// 'gpu' backend and installs the device hooks, readback and cache hooks of the core.
import { installGpuHooks } from '../../core/device.ts';
import { installCacheHooks } from '../../core/memory.ts';
import { installDownload } from '../../core/transfer.ts';
import { registerBackend, type Backend } from '../../ir/eval.ts';
import { currentContext, currentDevice, DEFAULT_BIG_MIN_TILES, getContext, useDevice } from './context.ts';
import { download } from './io.ts';
import { linkGraph, replayGraph, runSegment } from './segment.ts';

const gpuBackend: Backend = { run: runSegment, replayGraph, linkGraph };

registerBackend('gpu', gpuBackend);
installGpuHooks({
  use: useDevice,
  init: async () => (await getContext()).device,
  current: currentDevice,
  info: async () => {
    const c = await getContext();
    return {
      device_name: c.adapterName || 'WebGPU device',
      architecture: 'webgpu',
      max_buffer_length: c.limits.maxBufferSize,
      max_storage_buffer_binding_size: c.limits.maxStorageBufferBindingSize,
      max_workgroup_storage_size: c.limits.maxComputeWorkgroupStorageSize,
      features: Object.entries(c.features).filter(([, v]) => v).map(([k]) => k).join(','),
      subgroup_matrix: c.subgroupMatrix?.configs.map((x) => `${x.componentType}x${x.resultComponentType} ${x.M}x${x.N}x${x.K}`).join('; ') ?? '',
      // the one subgroup size where subgroups are runs of consecutive threads (0: not so)
      subgroup_run: c.subgroupRun,
    };
  },
  tuning: async () => {
    const c = await getContext();
    return { adapter: c.adapterName || 'WebGPU device', timestamps: c.features.timestampQuery, bigMinTiles: c.tuning.bigMinTiles, subgroupMatrix: c.tuning.subgroupMatrix, bigBlocks: c.tuning.bigBlocks };
  },
  setTuning: async (bigMinTiles, bigBlocks) => {
    const c = await getContext();
    c.tuning.bigMinTiles = bigMinTiles ?? DEFAULT_BIG_MIN_TILES;
    c.tuning.bigBlocks = bigBlocks ?? c.bigBlocksDefault;
    c.pool.plans.clear();
  },
  setSubgroupMatrix: async (on) => {
    const c = await getContext();
    c.tuning.subgroupMatrix = on;
    c.pool.plans.clear();
    return c.subgroupMatrix !== null;
  },
});
installDownload(download);
installCacheHooks(
  () => currentContext()?.pool.cachedBytes() ?? 0,
  () => currentContext()?.pool.clear(),
);
