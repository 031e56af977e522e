// Text <-> token ids through @huggingface/tokenizers, chat templates through
// @huggingface/jinja, and a streaming detokenizer that never splits a UTF-8 character.
import { Tokenizer as HFTokenizer } from '@huggingface/tokenizers';
import { Template } from '@huggingface/jinja';

type Json = Record<string, any>;

/** One chat message (`content` may be any value the template understands). */
export interface ChatMessage {
  role: string;
  content: unknown;
  [key: string]: unknown;
}

/** Options of `applyChatTemplate`. */
export interface ChatTemplateOptions {
  /** Append the assistant turn opener (default true). */
  addGenerationPrompt?: boolean;
  /** Tool descriptions, passed to the template as `tools`. */
  tools?: unknown[];
  /** Extra template variables (e.g. `enable_thinking`). */
  extra?: Record<string, unknown>;
}

const tokenText = (t: unknown): string | undefined =>
  typeof t === 'string' ? t : t && typeof t === 'object' && typeof (t as Json).content === 'string' ? (t as Json).content : undefined;

/**
 * A Hugging Face tokenizer (tokenizer.json + tokenizer_config.json) with its chat template.
 * @example
 * const tok = Tokenizer.fromJSON(tokenizerJson, tokenizerConfig);
 * const ids = tok.encode('Hello'); tok.decode(ids);
 */
export class Tokenizer {
  readonly hf: HFTokenizer;
  /** Token ids that end generation (eos_token plus generation_config's eos_token_id). */
  readonly eosTokenIds: Set<number>;
  readonly bosToken?: string;
  readonly eosToken?: string;
  readonly chatTemplate?: string;
  private template?: Template;

  constructor(tokenizerJson: Json, readonly config: Json = {}, options: { chatTemplate?: string; eosTokenIds?: number[] } = {}) {
    if (!tokenizerJson || typeof tokenizerJson !== 'object' || !tokenizerJson.model) {
      throw new Error("[Tokenizer] tokenizer.json is not a Hugging Face tokenizer (no 'model' entry).");
    }
    try {
      this.hf = new HFTokenizer(tokenizerJson, config);
    } catch (e) {
      throw new Error(`[Tokenizer] Cannot build the tokenizer from tokenizer.json: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.bosToken = tokenText(config.bos_token);
    this.eosToken = tokenText(config.eos_token);
    this.eosTokenIds = new Set(options.eosTokenIds ?? []);
    if (this.eosToken !== undefined) {
      const id = this.hf.token_to_id(this.eosToken);
      if (id !== undefined) this.eosTokenIds.add(id);
    }
    let tpl: unknown = options.chatTemplate ?? config.chat_template;
    if (Array.isArray(tpl)) tpl = (tpl.find((t: Json) => t.name === 'default') ?? tpl[0])?.template;
    if (typeof tpl === 'string') this.chatTemplate = tpl;
  }

  /**
   * Builds a tokenizer from the file contents (JSON text or parsed objects).
   * @example
   * const tok = Tokenizer.fromJSON(await (await fetch(url)).text());
   */
  static fromJSON(tokenizerJson: string | Json, config: string | Json = {}, options: { chatTemplate?: string; eosTokenIds?: number[] } = {}): Tokenizer {
    const parse = (x: string | Json, name: string): Json => {
      if (typeof x !== 'string') return x;
      try {
        return JSON.parse(x);
      } catch (e) {
        throw new Error(`[Tokenizer] ${name} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    return new Tokenizer(parse(tokenizerJson, 'tokenizer.json'), parse(config, 'tokenizer_config.json'), options);
  }

  /** Vocabulary size including added tokens. @example tok.vocabSize */
  get vocabSize(): number {
    return this.hf.get_vocab(true).size;
  }

  /**
   * Token ids of a text; `addSpecialTokens` (default true) applies the post-processor (BOS...).
   * @example
   * tok.encode('Hello world', { addSpecialTokens: false })
   */
  encode(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    return this.hf.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
  }

  /**
   * The text of token ids.
   * @example
   * tok.decode([1, 2, 3], { skipSpecialTokens: true })
   */
  decode(ids: number[], options: { skipSpecialTokens?: boolean } = {}): string {
    return this.hf.decode(ids, { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  /** The id of a token string, if it is in the vocabulary. @example tok.tokenToId('<|im_end|>') */
  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  /**
   * Renders messages with the model's chat template (Jinja) to a prompt string.
   * @example
   * const prompt = tok.applyChatTemplate([{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true });
   */
  applyChatTemplate(messages: ChatMessage[], options: ChatTemplateOptions = {}): string {
    if (!this.chatTemplate) throw new Error('[Tokenizer.applyChatTemplate] This tokenizer has no chat template (none in tokenizer_config.json or chat_template.jinja).');
    this.template ??= new Template(this.chatTemplate);
    const specials: Record<string, unknown> = {};
    for (const k of ['bos_token', 'eos_token', 'unk_token', 'pad_token', 'sep_token', 'cls_token', 'mask_token']) {
      const t = tokenText(this.config[k]);
      if (t !== undefined) specials[k] = t;
    }
    return this.template.render({
      ...specials, messages, add_generation_prompt: options.addGenerationPrompt ?? true,
      ...(options.tools ? { tools: options.tools } : {}), ...(options.extra ?? {}),
    });
  }

  /**
   * A fresh streaming detokenizer for this tokenizer.
   * @example
   * const d = tok.detokenizer(); d.add(id); console.log(d.lastSegment);
   */
  detokenizer(): StreamingDetokenizer {
    return new StreamingDetokenizer(this);
  }
}

/**
 * Turns a stream of token ids into text pieces. Text is released only once it no longer
 * ends in an incomplete UTF-8 sequence (decoded as U+FFFD), so multi-byte characters
 * split across tokens come out whole. Segments restart after each newline, decoded with
 * the previous token as context so leading-space rules stay right.
 * @example
 * const d = tok.detokenizer();
 * for (const id of ids) { d.add(id); process.stdout.write(d.lastSegment); }
 * d.finalize(); process.stdout.write(d.lastSegment);
 */
export class StreamingDetokenizer {
  /** All text released so far. */
  text = '';
  private seg: number[] = [];
  private prev: number[] = [];
  private prevText = '';
  private released = 0;
  private pending = '';
  constructor(private readonly tok: { decode(ids: number[], o?: { skipSpecialTokens?: boolean }): string }) {}

  /** Adds a token id; the text it completes is in `lastSegment`. */
  add(token: number): void {
    this.seg.push(token);
    const full = this.tok.decode([...this.prev, ...this.seg]).slice(this.prevText.length);
    if (full.endsWith('\uFFFD')) return;
    this.pending += full.slice(this.released);
    this.released = full.length;
    if (full.endsWith('\n')) {
      this.prev = [this.seg[this.seg.length - 1]];
      this.prevText = this.tok.decode(this.prev);
      this.seg = [];
      this.released = 0;
    }
  }

  /** Releases whatever is held back (an incomplete character at the end of the stream). */
  finalize(): void {
    if (!this.seg.length) return;
    const full = this.tok.decode([...this.prev, ...this.seg]).slice(this.prevText.length);
    this.pending += full.slice(this.released);
    this.released = full.length;
  }

  /** The text released since the last read (reading clears it). */
  get lastSegment(): string {
    const s = this.pending;
    this.text += s;
    this.pending = '';
    return s;
  }

  /** Clears all state. */
  reset(): void {
    this.text = '';
    this.seg = [];
    this.prev = [];
    this.prevText = '';
    this.released = 0;
    this.pending = '';
  }
}
