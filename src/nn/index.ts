// webmlx/nn: MLX's mlx.nn for the web. `import * as nn from 'webmlx/nn'`.
//
// Conventions of the port: a Module's computation is `forward(...)` (MLX's __call__);
// required constructor and loss arguments are positional, optional ones go in an
// options object with MLX's defaults (`new nn.Conv2d(3, 16, 3, { padding: 1 })`,
// `nn.losses.crossEntropy(logits, y, { reduction: 'mean' })`); activation functions and
// modules take their few optional arguments positionally. Parameter and sub-module names
// are MLX's own (`running_mean`, `query_proj`, ...) so MLX checkpoints load unchanged.
export { Module, type FilterFn, type ParamTree, type FreezeOptions } from './module.ts';
export { valueAndGrad, checkpoint } from './utils.ts';
export * from './activations.ts';
export * as losses from './losses.ts';
export * as init from './init.ts';
export { Identity, Linear, Bilinear, Embedding, Sequential, type Layer } from './layers/linear.ts';
export { Dropout, Dropout2d, Dropout3d } from './layers/dropout.ts';
export {
  Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d, type ConvOptions, type ConvTransposeOptions,
} from './layers/conv.ts';
export { MaxPool1d, MaxPool2d, MaxPool3d, AvgPool1d, AvgPool2d, AvgPool3d } from './layers/pooling.ts';
export { BatchNorm, LayerNorm, RMSNorm, GroupNorm, InstanceNorm } from './layers/norm.ts';
export { RNN, GRU, LSTM } from './layers/recurrent.ts';
export {
  MultiHeadAttention, TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer, TransformerDecoder, Transformer,
  type AttentionMask, type MultiHeadAttentionOptions, type TransformerLayerOptions, type TransformerOptions,
} from './layers/transformer.ts';
export { RoPE, ALiBi, SinusoidalPositionalEncoding } from './layers/positional.ts';
export { Upsample, upsampleNearest, upsampleLinear, upsampleCubic, type UpsampleOptions } from './layers/upsample.ts';
export { QuantizedLinear, QuantizedEmbedding, quantize, type QuantizeConfig, type QuantizeModelOptions } from './layers/quantized.ts';
