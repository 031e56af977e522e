// MLX names that webmlx spells differently or does not provide, with the reason. The
// coverage table (test/api/coverage.ts) reads this; a name in neither place is "missing".

/** `mlx.module.name` → the webmlx name it maps to, or why there is none. */
export const NOTES: Record<string, { as?: string; why?: string }> = {
  // JS has no keyword-free `var` export issue: it is exported as `var` from the module
  'mlx.core.fast.metal_kernel': { as: 'wgslKernel', why: 'WGSL instead of Metal source.' },
  'mlx.core.fast.cuda_kernel': { why: 'No CUDA in WebGPU; use mx.fast.wgslKernel.' },
  'mlx.core.fast.precompiled_cuda_kernel': { why: 'No CUDA in WebGPU; use mx.fast.wgslKernel.' },
  'mlx.core.from_dlpack': { why: 'DLPack has no JS binding; use mx.array(typedArray).' },
  'mlx.core.Stream': { why: 'WebGPU has one queue per device; devices stand for streams ({stream: mx.cpu}).' },
  'mlx.core.ThreadLocalStream': { why: 'No threads share a WebGPU device in JS; devices stand for streams.' },
  'mlx.core.default_stream': { as: 'defaultDevice', why: 'Devices stand for streams.' },
  'mlx.core.new_stream': { why: 'WebGPU has one queue per device.' },
  'mlx.core.new_thread_local_stream': { why: 'WebGPU has one queue per device.' },
  'mlx.core.new_thread_unsafe_stream': { why: 'WebGPU has one queue per device.' },
  'mlx.core.set_default_stream': { as: 'setDefaultDevice', why: 'Devices stand for streams.' },
  'mlx.core.stream': { why: 'Pass {stream: device} per op or use setDefaultDevice.' },
  'mlx.core.clear_streams': { why: 'No streams to clear.' },
  'mlx.core.set_wired_limit': { why: 'Wired (resident) memory is a Metal/macOS notion; WebGPU has none.' },
  'mlx.core.DtypeCategory': { why: 'Categories are passed as strings to issubdtype (e.g. "floating").' },
  'mlx.core.export_function': { why: 'MLX’s .mlxfn graph format is not implemented; mx.compile covers in-process reuse.' },
  'mlx.core.import_function': { why: 'MLX’s .mlxfn graph format is not implemented.' },
  'mlx.core.exporter': { why: 'MLX’s .mlxfn graph format is not implemented.' },
  'mlx.core.disable_compile': { why: 'Not implemented yet.' },
  'mlx.core.enable_compile': { why: 'Not implemented yet.' },
  'mlx.core.qqmm': { why: 'Quantized-activation matmul (nvfp4/mxfp8 on CUDA) is not implemented.' },
  'mlx.nn.AllToShardedLinear': { why: 'Distributed layers need mlx.distributed, which has no WebGPU counterpart.' },
  'mlx.nn.ShardedToAllLinear': { why: 'Distributed layers need mlx.distributed.' },
  'mlx.nn.QuantizedAllToShardedLinear': { why: 'Distributed layers need mlx.distributed.' },
  'mlx.nn.QuantizedShardedToAllLinear': { why: 'Distributed layers need mlx.distributed.' },
  'mlx.nn.average_gradients': { why: 'Needs mlx.distributed.' },
  'mlx.nn.softshrink': { as: 'softShrink' },
  'mlx.core.array.array': { as: 'MxArray', why: 'The class is MxArray; mx.array(...) makes one.' },
  'mlx.core.depends': { why: 'Not implemented: evaluate the dependencies with mx.eval first.' },
  'mlx.nn.QQLinear': { why: 'Quantized-activation layers (qqmm) are not implemented.' },
};
