// RoPE inverse frequencies for every rope type Hugging Face configs use, in one place.
// Configs come in two styles: `rope_theta` + `rope_scaling` (transformers 4) and
// `rope_parameters` (transformers 5, possibly keyed by layer type).

/** The rope types `ropeFrequencies` understands. @example lm.ROPE_TYPES.includes('llama3') // true */
export const ROPE_TYPES = ['default', 'linear', 'dynamic', 'llama3', 'yarn', 'longrope'] as const;
export type RopeType = (typeof ROPE_TYPES)[number];

/** Normalized rope settings of one layer type. */
export interface RopeSpec {
  type: RopeType;
  theta: number;
  /** Rotated features per head (head_dim times partial_rotary_factor). */
  dims: number;
  /** The scaling fields as given (factor, low_freq_factor, short_factor, ...). */
  params: Record<string, unknown>;
  /** max_position_embeddings of the model. */
  maxPositions: number;
}

/** Frequencies for a sequence length, and the factor applied to the rotated q and k. */
export interface RopeFreqs {
  invFreq: Float32Array;
  scale: number;
}

type Cfg = Record<string, unknown>;
const num = (v: unknown, what: string, dflt?: number): number => {
  if (v === undefined || v === null) {
    if (dflt === undefined) throw new Error(`[rope] Missing '${what}' in the rope configuration.`);
    return dflt;
  }
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`[rope] '${what}' must be a number, got ${JSON.stringify(v)}.`);
  return n;
};

/**
 * Reads the rope settings of a config (either style). `layerType` picks an entry of a
 * per-layer-type `rope_parameters` (gemma3's full_attention/sliding_attention).
 * @example
 * const spec = ropeSpec({ rope_theta: 5e5, rope_scaling: { rope_type: 'llama3', factor: 8 } }, 64);
 */
export function ropeSpec(config: Cfg, headDim: number, layerType?: string): RopeSpec {
  let p = (config.rope_parameters ?? config.rope_scaling ?? {}) as Cfg;
  if (p && typeof p === 'object' && layerType && layerType in p && typeof p[layerType] === 'object') p = p[layerType] as Cfg;
  p = { ...(p ?? {}) };
  const type = String(p.rope_type ?? p.type ?? 'default');
  const t = (type === 'su' ? 'longrope' : type === 'mrope' ? 'default' : type) as RopeType;
  if (!ROPE_TYPES.includes(t)) throw new Error(`[rope] Unsupported rope type '${type}'; supported: ${ROPE_TYPES.join(', ')}.`);
  const theta = num(p.rope_theta ?? config.rope_theta, 'rope_theta', 10000);
  const partial = num(p.partial_rotary_factor ?? config.partial_rotary_factor, 'partial_rotary_factor', 1);
  const dims = Math.floor(headDim * partial);
  if (!p.original_max_position_embeddings && config.original_max_position_embeddings) {
    p.original_max_position_embeddings = config.original_max_position_embeddings;
  }
  return { type: t, theta, dims, params: p, maxPositions: num(config.max_position_embeddings, 'max_position_embeddings', 2048) };
}

function baseFreqs(theta: number, dims: number): Float64Array {
  const f = new Float64Array(dims / 2);
  for (let i = 0; i < f.length; i++) f[i] = 1 / theta ** ((2 * i) / dims);
  return f;
}

const yarnMscale = (s: number, m = 1) => (s <= 1 ? 1 : 0.1 * m * Math.log(s) + 1);

/**
 * The inverse frequencies (length dims/2) and attention scale of a rope spec for a
 * sequence of `seqLen` positions (only dynamic and longrope depend on it).
 * @example
 * const { invFreq, scale } = ropeFrequencies(ropeSpec(config, 64), 128);
 */
export function ropeFrequencies(spec: RopeSpec, seqLen = 0): RopeFreqs {
  const { dims, params: p } = spec;
  if (dims % 2 !== 0 || dims <= 0) throw new Error(`[rope] Rotated dims must be positive and even, got ${dims}.`);
  let theta = spec.theta;
  const half = dims / 2;
  let scale = 1;
  let f: Float64Array;
  switch (spec.type) {
    case 'default':
      f = baseFreqs(theta, dims);
      break;
    case 'linear': {
      const factor = num(p.factor, 'factor');
      f = baseFreqs(theta, dims).map((x) => x / factor);
      break;
    }
    case 'dynamic': {
      // NTK-aware: the base grows once the sequence runs past the trained length.
      const factor = num(p.factor, 'factor');
      const maxPos = num(p.original_max_position_embeddings, 'original_max_position_embeddings', spec.maxPositions);
      if (seqLen > maxPos) theta = theta * ((factor * seqLen) / maxPos - (factor - 1)) ** (dims / (dims - 2));
      f = baseFreqs(theta, dims);
      break;
    }
    case 'llama3': {
      const factor = num(p.factor, 'factor');
      const lo = num(p.low_freq_factor, 'low_freq_factor', 1);
      const hi = num(p.high_freq_factor, 'high_freq_factor', 4);
      const orig = num(p.original_max_position_embeddings, 'original_max_position_embeddings', 8192);
      const loWave = orig / lo, hiWave = orig / hi;
      f = baseFreqs(theta, dims).map((x) => {
        const wave = (2 * Math.PI) / x;
        if (wave < hiWave) return x;
        if (wave > loWave) return x / factor;
        const s = (orig / wave - lo) / (hi - lo);
        return (1 - s) * (x / factor) + s * x;
      });
      break;
    }
    case 'yarn': {
      const factor = num(p.factor, 'factor');
      const orig = num(p.original_max_position_embeddings, 'original_max_position_embeddings', spec.maxPositions);
      const betaFast = num(p.beta_fast, 'beta_fast', 32), betaSlow = num(p.beta_slow, 'beta_slow', 1);
      const m = p.mscale === undefined || p.mscale === null ? 0 : num(p.mscale, 'mscale');
      const mAll = p.mscale_all_dim === undefined || p.mscale_all_dim === null ? 0 : num(p.mscale_all_dim, 'mscale_all_dim');
      if (p.attention_factor !== undefined && p.attention_factor !== null) scale = num(p.attention_factor, 'attention_factor');
      else scale = m && mAll ? yarnMscale(factor, m) / yarnMscale(factor, mAll) : yarnMscale(factor);
      const corr = (rot: number) => (dims * Math.log(orig / (rot * 2 * Math.PI))) / (2 * Math.log(theta));
      const truncate = p.truncate === undefined ? true : Boolean(p.truncate);
      let low = corr(betaFast), high = corr(betaSlow);
      if (truncate) { low = Math.floor(low); high = Math.ceil(high); }
      low = Math.max(low, 0);
      high = Math.min(high, dims - 1);
      if (low === high) high += 0.001;
      const base = baseFreqs(theta, dims);
      f = base.map((x, i) => {
        const ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
        const extrap = 1 - ramp;
        return (x / factor) * (1 - extrap) + x * extrap;
      });
      break;
    }
    case 'longrope': {
      const orig = num(p.original_max_position_embeddings, 'original_max_position_embeddings', spec.maxPositions);
      const long = p.long_factor as number[] | undefined, short = p.short_factor as number[] | undefined;
      if (!Array.isArray(long) || !Array.isArray(short) || long.length !== half || short.length !== half) {
        throw new Error(`[rope] longrope needs long_factor and short_factor lists of length ${half}.`);
      }
      const ext = seqLen > orig ? long : short;
      f = baseFreqs(theta, dims).map((x, i) => x / num(ext[i], 'long/short factor'));
      const factor = p.factor !== undefined && p.factor !== null ? num(p.factor, 'factor') : spec.maxPositions / orig;
      if (p.attention_factor !== undefined && p.attention_factor !== null) scale = num(p.attention_factor, 'attention_factor');
      else scale = factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(orig));
      break;
    }
  }
  return { invFreq: Float32Array.from(f), scale };
}
