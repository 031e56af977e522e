// One dispatch being built: its input bindings, parameters and generated WGSL.
// Binding 0 is the parameter uniform, 1 the output, 2.. the inputs (one per buffer).
import type { Storage } from '../../core/memory.ts';
import { Params } from './params.ts';
import { loadFn, loadWordsFn } from './layout.ts';
import { assemble } from './wgsl.ts';

/** Everything needed to encode one dispatch. */
export interface Dispatch {
  label: string;
  code: string;
  entry: string;
  params: Uint32Array;
  output: GPUBuffer;
  inputs: GPUBuffer[];
  groups: [number, number];
  /** More read_write outputs, bound after the inputs (multi-output kernels such as mx.fast.wgslKernel). */
  extraOutputs?: GPUBuffer[];
}

/** Workgroup grid for n groups: 2-D once n passes the per-dimension limit. */
export function grid(n: number, maxDim = 65535): [number, number] {
  if (n <= maxDim) return [Math.max(1, n), 1];
  const y = Math.ceil(n / maxDim);
  if (y > maxDim) throw new Error(`[gpu] a dispatch of ${n} workgroups is too large.`);
  return [maxDim, y];
}

export class KernelBuilder {
  readonly p = new Params();
  private inputs: GPUBuffer[] = [];
  private loaders = new Map<GPUBuffer, string>();
  private decls: string[] = [];
  private n = 0;

  /** Whether the device has shader-f16 (kernels may then hold float16 values as f16). */
  f16 = false;
  private f16On = false;

  constructor(public label: string) {}

  /** Turns on WGSL's f16 type for this kernel (shader-f16 devices only). */
  enableF16(): void {
    if (!this.f16) throw new Error('internal: f16 used on a device without shader-f16');
    if (!this.f16On) this.emit('enable f16;');
    this.f16On = true;
  }

  /** Binds a float16 storage's buffer as array<vec4<f16>> (8-byte loads), unless already bound; null without shader-f16. */
  inputHalfQuads(s: Storage): string | null {
    const g = s.gpu;
    if (!g) throw new Error('internal: GPU input has no buffer');
    // a buffer bound in another form keeps that one binding (the fusion's binding count)
    if (!this.halfQuads.has(g.buffer) && this.bound(g.buffer)) return null;
    return this.inputHalf4(s);
  }
  private halfQuads = new Map<GPUBuffer, string>();

  /** Binds a storage's buffer as array<vec4<f16>> even when bound in another form (a second binding); null without shader-f16. */
  inputHalf4(s: Storage): string | null {
    if (!this.f16 || !s.gpu || s.gpu.buffer.size % 8 !== 0) return null;
    this.enableF16();
    return this.bindOnce(s, 'vec4<f16>', this.halfQuads);
  }

  fresh(prefix: string): string {
    return `${prefix}${this.n++}`;
  }

  emit(decl: string): void {
    this.decls.push(decl);
  }

  get inputCount(): number {
    return this.inputs.length;
  }

  /** Binds a storage's buffer (once per kernel); returns a loader `fn(e: u32) -> T` by its dtype. */
  input(s: Storage): string {
    const g = s.gpu;
    if (!g) throw new Error('internal: GPU input has no buffer');
    let name = this.loaders.get(g.buffer);
    if (!name && this.halfQuads.has(g.buffer)) {
      // bound as vec4<f16>s: element e is component e % 4 of vec4 e / 4
      const q = this.halfQuads.get(g.buffer)!;
      name = this.fresh('ldh');
      this.loaders.set(g.buffer, name);
      this.emit(`fn ${name}(e: u32) -> f32 {\n  return f32(${q}[e >> 2u][e & 3u]);\n}`);
    }
    if (!name && this.quadOnly.has(g.buffer)) {
      // already bound as vec4s (a vectorised map kernel): read its words from that binding
      const q = this.quadOnly.get(g.buffer)!;
      name = this.fresh('ldq');
      this.loaders.set(g.buffer, name);
      this.emit(loadWordsFn(name, (w) => `${q}[(${w}) >> 2u][(${w}) & 3u]`, s.dtype));
    }
    if (!name) {
      const k = this.inputs.length;
      this.inputs.push(g.buffer);
      name = `ld${k}`;
      this.loaders.set(g.buffer, name);
      this.emit(`@group(0) @binding(${k + 2}) var<storage, read> b${k}: array<u32>;\n${loadFn(name, `b${k}`, s.dtype)}`);
    }
    return name;
  }

  /** Binds a storage's buffer as array<vec4<u32>> (16-byte loads); returns the variable name. */
  inputVec4(s: Storage): string {
    return this.bindOnce(s, 'vec4<u32>', this.vec4Names);
  }

  /** Binds a storage's buffer as array<vec2<u32>> (8-byte loads: 4 halves); returns the name. */
  inputVec2(s: Storage): string {
    return this.bindOnce(s, 'vec2<u32>', this.vec2Names);
  }

  /** The binding of `s` as array<T> recorded in `names`, made on first use. */
  private bindOnce(s: Storage, T: string, names: Map<GPUBuffer, string>): string {
    const g = s.gpu;
    if (!g) throw new Error('internal: GPU input has no buffer');
    return names.get(g.buffer) ?? this.bindAs(g.buffer, T, names);
  }

  /** A new read-only binding of `buffer` as array<T>, recorded in `names`. */
  private bindAs(buffer: GPUBuffer, T: string, names: Map<GPUBuffer, string>): string {
    const k = this.inputs.length;
    this.inputs.push(buffer);
    const name = `b${T.includes('f16') ? 'h' : 'q'}${k}`;
    names.set(buffer, name);
    this.emit(`@group(0) @binding(${k + 2}) var<storage, read> ${name}: array<${T}>;`);
    return name;
  }

  /** Whether a buffer is bound already (in any form). */
  private bound(b: GPUBuffer): boolean {
    return this.loaders.has(b) || this.vec4Names.has(b) || this.vec2Names.has(b) || this.quadOnly.has(b) || this.halfQuads.has(b);
  }
  private vec4Names = new Map<GPUBuffer, string>();
  private vec2Names = new Map<GPUBuffer, string>();
  private quadOnly = new Map<GPUBuffer, string>();

  /**
   * Binds a storage's buffer as array<vec4<u32>> for vectorised loads, unless it is already
   * bound as words (null then: one binding per buffer keeps the fusion's binding count).
   */
  inputQuads(s: Storage): string | null {
    const g = s.gpu;
    if (!g) throw new Error('internal: GPU input has no buffer');
    if (g.buffer.size % 16 !== 0) return null;
    return this.quadOnly.get(g.buffer) ?? (this.bound(g.buffer) ? null : this.bindAs(g.buffer, 'vec4<u32>', this.quadOnly));
  }

  /** Finishes the kernel: WGSL = generated hooks + template `template` (+ library). */
  /** `out` is the output's element type: u32 words, `true` for atomic<u32>, or vec4s. */
  build(template: string, entry: string, output: GPUBuffer, groups: [number, number], out: boolean | 'vec4' | 'vec4f16' = false): Dispatch {
    const T = out === 'vec4' ? 'vec4<u32>' : out === 'vec4f16' ? 'vec4<f16>' : out ? 'atomic<u32>' : 'u32';
    if (out === 'vec4f16') this.enableF16();
    const outDecl = `@group(0) @binding(1) var<storage, read_write> out: array<${T}>;`;
    const code = assemble([this.p.decl(), outDecl, ...this.decls].join('\n\n'), template);
    return { label: this.label, code, entry, params: this.p.bytes(), output, inputs: [...this.inputs], groups };
  }
}
