// OLMo 2: norms after attention and MLP (no pre-norm), q/k RMSNorm over the whole projection.
import { baseArgs, CausalLM, type Config } from './blocks.ts';

/**
 * OLMo 2 causal LM.
 * @example
 * const model = new Olmo2Model(config);
 */
export class Olmo2Model extends CausalLM {
  constructor(config: Config) {
    super(baseArgs(config, { layout: 'post', qkNorm: 'full' }));
  }
}
