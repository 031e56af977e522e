// The model_type -> class registry.
import type { CausalLM, Config } from './blocks.ts';
import { LlamaModel } from './llama.ts';
import { MistralModel } from './mistral.ts';
import { Qwen2Model } from './qwen2.ts';
import { Qwen3Model } from './qwen3.ts';
import { GemmaModel } from './gemma.ts';
import { Gemma2Model } from './gemma2.ts';
import { Gemma3Model } from './gemma3.ts';
import { Phi3Model } from './phi3.ts';
import { Olmo2Model } from './olmo2.ts';
import { SmolLM3Model } from './smollm3.ts';
import { Starcoder2Model } from './starcoder2.ts';

export { LlamaModel, MistralModel, Qwen2Model, Qwen3Model, GemmaModel, Gemma2Model, Gemma3Model, Phi3Model, Olmo2Model, SmolLM3Model, Starcoder2Model };
export * from './blocks.ts';

/**
 * Config `model_type` → model class. Add an entry to support another architecture.
 * @example
 * const model = new modelTypes['qwen3'](config);
 */
export const modelTypes: Record<string, new (config: Config) => CausalLM> = {
  llama: LlamaModel, mistral: MistralModel, qwen2: Qwen2Model, qwen3: Qwen3Model, gemma: GemmaModel, gemma2: Gemma2Model,
  gemma3: Gemma3Model, gemma3_text: Gemma3Model, phi3: Phi3Model, olmo2: Olmo2Model, smollm3: SmolLM3Model, starcoder2: Starcoder2Model,
};

/**
 * Builds the model for a config, or throws listing the supported model types.
 * @example
 * const model = modelFromConfig(JSON.parse(configText));
 */
export function modelFromConfig(config: Config): CausalLM {
  const t = config.model_type;
  const C = typeof t === 'string' ? modelTypes[t] : undefined;
  if (!C) throw new Error(`[loadModel] Unsupported model_type ${JSON.stringify(t)}; supported: ${Object.keys(modelTypes).join(', ')}.`);
  return new C(config);
}
