// mx.fast: MLX's fused ops (normalizations, rotary embedding, attention, custom kernels).
export { rmsNorm, layerNorm } from './norm.ts';
export { rope, type RopeOptions } from './rope.ts';
export { scaledDotProductAttention, type SdpaOptions } from './sdpa.ts';
export { wgslKernel, type WgslKernelSpec, type WgslKernelCall } from './wgsl_kernel.ts';
