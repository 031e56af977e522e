// webmlx/lm: MLX-LM for the web. `import * as lm from 'webmlx/lm'`.
export { loadModel, loadTokenizer, type FileMap, type LoadModelOptions, type LoadedModel, type LoadProgress } from './load.ts';
export { Tokenizer, StreamingDetokenizer, type ChatMessage, type ChatTemplateOptions } from './tokenizer.ts';
export { streamGenerate, generate, generateTokens, perplexity, type GenerateOptions, type GenerationResponse } from './generate.ts';
export {
  makeSampler, makeLogitsProcessors, applyTopK, applyTopP, applyMinP,
  type Sampler, type SamplerOptions, type LogitsProcessor, type ProcessorOptions,
} from './sample.ts';
export {
  KVCache, RotatingKVCache, makePromptCache, evalCache, canTrimPromptCache, trimPromptCache, savePromptCache, loadPromptCache,
  type Cache, type PromptCacheOptions,
} from './cache.ts';
export { ropeSpec, ropeFrequencies, ROPE_TYPES, type RopeSpec, type RopeFreqs, type RopeType } from './rope.ts';
export {
  modelTypes, modelFromConfig, CausalLM, LlamaModel, MistralModel, Qwen2Model, Qwen3Model, GemmaModel, Gemma2Model, Gemma3Model,
  Phi3Model, Olmo2Model, SmolLM3Model, Starcoder2Model, baseArgs, type ModelArgs, type Config,
} from './models/index.ts';
export { loadLlama2c } from './llama2c.ts';
export { fuseProjections } from './models/fuse.ts';
export { QuantizedKVCache } from './qcache.ts';
export { convert, type ConvertOptions } from './convert.ts';
export * from './hub.ts';
export * from './server.ts';
export * from './engine.ts';
export { runWorker } from './worker.ts';
