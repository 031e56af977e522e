// Per-dispatch parameters (shapes, strides, offsets, constants) live in a uniform buffer,
// so kernels that differ only in these values share one pipeline.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export class Params {
  readonly values: number[] = [];

  private slot(v: number): string {
    const k = this.values.length;
    this.values.push(v >>> 0);
    return `prm.v[${k >> 2}].${'xyzw'[k & 3]}`;
  }

  /** A u32 parameter; returns its WGSL expression. */
  u32(v: number): string {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`internal: u32 param out of range: ${v}`);
    return this.slot(v);
  }

  i32(v: number): string {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
      throw new Error(`[gpu] an index or stride (${v}) does not fit in 32 bits; the array is too large for the GPU backend.`);
    }
    return `bitcast<i32>(${this.slot(v)})`;
  }

  /** An f32 parameter (v rounded to float32). */
  f32(v: number): string {
    f32[0] = v;
    return `bitcast<f32>(${this.slot(u32[0])})`;
  }

  /** Number of vec4<u32> slots (at least one). */
  get vec4s(): number {
    return Math.max(1, Math.ceil(this.values.length / 4));
  }

  /** WGSL declaration of the uniform at binding 0. */
  decl(): string {
    return `struct Prm {\n  v: array<vec4<u32>, ${this.vec4s}>,\n}\n@group(0) @binding(0) var<uniform> prm: Prm;`;
  }

  /** The values as bytes, padded to whole vec4s. */
  bytes(): Uint32Array {
    const out = new Uint32Array(this.vec4s * 4);
    out.set(this.values);
    return out;
  }
}
