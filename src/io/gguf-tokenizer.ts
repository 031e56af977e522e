// Builds a Hugging Face tokenizer.json (and the tokenizer_config.json fields that matter)
// from a GGUF file's `tokenizer.ggml.*` metadata, for the two common tokenizer models:
// 'gpt2' (byte-level BPE) and 'llama' (SentencePiece-style BPE with byte fallback).
import type { GgufValue } from './gguf.ts';

type Json = Record<string, unknown>;

/** A tokenizer rebuilt from GGUF metadata, ready for `new Tokenizer(tokenizer, config, { eosTokenIds })`. */
export interface GgufTokenizer {
  /** tokenizer.json contents. */
  tokenizer: Json;
  /** tokenizer_config.json fields: bos/eos/unk/pad tokens, chat_template, add_bos_token, ... */
  config: Json;
  /** Ids that end generation: eos plus eot/eom when present. */
  eosTokenIds: number[];
}

// Split patterns of llama.cpp's BPE pre-tokenizers (`tokenizer.ggml.pre`), case classes
// spelled out so JS regexes need no inline flags.
const CONTRACTIONS = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
const LLAMA3 = `${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`;
const QWEN2 = `${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`;
const PRE_SPLIT: Record<string, string> = {
  'llama-bpe': LLAMA3, llama3: LLAMA3, 'smaug-bpe': LLAMA3, falcon3: LLAMA3, 'deepseek-r1-qwen': QWEN2, qwen2: QWEN2,
};

const KEY = 'tokenizer.ggml.';

function get<T>(md: Record<string, GgufValue>, key: string, check: (v: GgufValue) => boolean, what: string): T | undefined {
  const v = md[key];
  if (v === undefined) return undefined;
  if (!check(v)) throw new TypeError(`[ggufTokenizer] Metadata '${key}' is not ${what}.`);
  return v as T;
}
const isStrings = (v: GgufValue) => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isNums = (v: GgufValue) => ArrayBuffer.isView(v) || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
const isId = (v: GgufValue) => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** HF's SentencePiece conversion: a merge (l, r) for every token made of two tokens, best score first. */
function mergesFromScores(tokens: string[], scores: ArrayLike<number> | undefined, ids: Map<string, number>): [string, string][] {
  const found: [string, string, number, number, number][] = [];
  tokens.forEach((t, i) => {
    const cps = Array.from(t);
    for (let k = 1; k < cps.length; k++) {
      const l = cps.slice(0, k).join(''), r = cps.slice(k).join('');
      const li = ids.get(l), ri = ids.get(r);
      if (li !== undefined && ri !== undefined) found.push([l, r, scores ? Number(scores[i]) : -i, li, ri]);
    }
  });
  found.sort((a, b) => b[2] - a[2] || a[3] - b[3] || a[4] - b[4]);
  return found.map(([l, r]) => [l, r]);
}

/**
 * Turns a GGUF file's `tokenizer.ggml.*` metadata into a Hugging Face tokenizer.json object
 * plus tokenizer_config.json fields ('gpt2' byte-level BPE and 'llama' SentencePiece BPE;
 * a `tokenizer.huggingface.json` entry is used as it is). Tokens of type control (3),
 * user-defined (4) and unknown (2) become added tokens.
 * @example
 * const [, metadata] = await mx.load('model.gguf', { returnMetadata: true });
 * const { tokenizer, config, eosTokenIds } = ggufTokenizer(metadata);
 */
export function ggufTokenizer(metadata: Record<string, GgufValue>): GgufTokenizer {
  const md = metadata;
  const model = get<string>(md, `${KEY}model`, (v) => typeof v === 'string', 'a string');
  const tokens = get<string[]>(md, `${KEY}tokens`, isStrings, 'an array of strings');
  if (!tokens) throw new Error(`[ggufTokenizer] The metadata has no '${KEY}tokens'.`);
  const scores = get<ArrayLike<number>>(md, `${KEY}scores`, isNums, 'a numeric array');
  const types = get<ArrayLike<number>>(md, `${KEY}token_type`, isNums, 'a numeric array');
  const merges = get<string[]>(md, `${KEY}merges`, isStrings, 'an array of strings');
  for (const [k, arr] of [['scores', scores], ['token_type', types]] as const) {
    if (arr && arr.length !== tokens.length) throw new Error(`[ggufTokenizer] '${KEY}${k}' has ${arr.length} entries but there are ${tokens.length} tokens.`);
  }
  const id = (name: string) => {
    const v = get<number>(md, `${KEY}${name}_token_id`, isId, 'a token id');
    if (v !== undefined && v >= tokens.length) throw new Error(`[ggufTokenizer] '${KEY}${name}_token_id' ${v} is outside the vocabulary of ${tokens.length} tokens.`);
    return v;
  };
  const flag = (name: string) => get<boolean>(md, `${KEY}${name}`, (v) => typeof v === 'boolean', 'a boolean');
  const bos = id('bos'), eos = id('eos'), unk = id('unknown'), pad = id('padding'), eot = id('eot'), eom = id('eom');
  const chatTemplate = get<string>(md, 'tokenizer.chat_template', (v) => typeof v === 'string', 'a string');
  const tok = (i: number | undefined) => (i === undefined ? undefined : tokens[i]);
  const isLlama = model === 'llama';
  const addBos = flag('add_bos_token') ?? isLlama, addEos = flag('add_eos_token') ?? false;
  const config: Json = {
    bos_token: tok(bos), eos_token: tok(eos), unk_token: tok(unk), pad_token: tok(pad),
    add_bos_token: addBos, add_eos_token: addEos, clean_up_tokenization_spaces: false,
  };
  if (chatTemplate !== undefined) config.chat_template = chatTemplate;
  const eosTokenIds = [...new Set([eos, eot, eom].filter((x): x is number => x !== undefined))];

  const hfJson = get<string>(md, 'tokenizer.huggingface.json', (v) => typeof v === 'string', 'a string');
  if (hfJson !== undefined) return { tokenizer: JSON.parse(hfJson) as Json, config, eosTokenIds };
  if (model !== 'gpt2' && model !== 'llama') {
    throw new Error(`[ggufTokenizer] Tokenizer model '${String(model)}' is not supported (only 'gpt2' and 'llama').`);
  }

  const ids = new Map<string, number>();
  tokens.forEach((t, i) => { if (!ids.has(t)) ids.set(t, i); });
  const specialIds = new Set([bos, eos, unk, pad, eot, eom].filter((x): x is number => x !== undefined));
  const added = tokens.flatMap((content, i) => {
    const ty = types ? Number(types[i]) : 1;
    if (!(ty === 2 || ty === 3 || ty === 4 || specialIds.has(i))) return [];
    return [{ id: i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: ty !== 4 }];
  });
  const pairs: [string, string][] = merges
    ? merges.map((m, i) => {
      const at = m.indexOf(' ', 1);
      if (at < 0) throw new Error(`[ggufTokenizer] Merge ${i} ${JSON.stringify(m)} is not two tokens separated by a space.`);
      return [m.slice(0, at), m.slice(at + 1)];
    })
    : isLlama ? mergesFromScores(tokens, scores, ids) : [];
  const vocab = Object.fromEntries(ids);

  const special = (i: number) => ({ SpecialToken: { id: tokens[i], type_id: 0 } });
  const template = (withBos: boolean, withEos: boolean) => {
    const seq = (x: 'A' | 'B') => [
      ...(withBos && bos !== undefined ? [special(bos)] : []), { Sequence: { id: x, type_id: 0 } }, ...(withEos && eos !== undefined ? [special(eos)] : []),
    ];
    const used = [withBos ? bos : undefined, withEos ? eos : undefined].filter((x): x is number => x !== undefined);
    return {
      type: 'TemplateProcessing', single: seq('A'), pair: [...seq('A'), ...seq('B')],
      special_tokens: Object.fromEntries(used.map((i) => [tokens[i], { id: tokens[i], ids: [i], tokens: [tokens[i]] }])),
    };
  };

  if (isLlama) {
    const prefix = flag('add_space_prefix') ?? true;
    const replace = { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' };
    const tokenizer: Json = {
      version: '1.0', truncation: null, padding: null, added_tokens: added,
      normalizer: prefix ? { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '\u2581' }, replace] } : replace,
      pre_tokenizer: null,
      post_processor: template(addBos, addEos),
      decoder: {
        type: 'Sequence',
        decoders: [
          { type: 'Replace', pattern: { String: '\u2581' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' },
          ...(prefix ? [{ type: 'Strip', content: ' ', start: 1, stop: 0 }] : []),
        ],
      },
      model: {
        type: 'BPE', dropout: null, unk_token: tok(unk) ?? null, continuing_subword_prefix: null, end_of_word_suffix: null,
        fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges: pairs,
      },
    };
    return { tokenizer, config, eosTokenIds };
  }
  const pre = get<string>(md, `${KEY}pre`, (v) => typeof v === 'string', 'a string');
  const split = pre !== undefined ? PRE_SPLIT[pre] : undefined;
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: split === undefined };
  const tokenizer: Json = {
    version: '1.0', truncation: null, padding: null, added_tokens: added, normalizer: null,
    pre_tokenizer: split
      ? { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: split }, behavior: 'Isolated', invert: false }, byteLevel] }
      : byteLevel,
    post_processor: addBos || addEos ? template(addBos, addEos) : { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: tok(unk) ?? null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: split === LLAMA3, vocab, merges: pairs,
    },
  };
  return { tokenizer, config, eosTokenIds };
}
