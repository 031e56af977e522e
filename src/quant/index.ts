// MLX-compatible weight quantization: quantize, dequantize, quantizedMatmul, gatherQmm.
export { quantize, dequantize, quantizedMatmul, gatherQmm, type DequantizeOptions } from './ops.ts';
export type { QuantMode } from './layout.ts';
