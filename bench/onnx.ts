// A minimal protobuf writer for tiny ONNX models (the onnxruntime-web side of bench/suite.ts).

/** An input of a model: its name and shape (float32). */
export interface OnnxInput {
  name: string;
  shape: number[];
}

export class Pb {
  private b: number[] = [];
  private varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.b.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.b.push(Number(x));
  }
  private key(f: number, wire: number): void {
    this.varint((f << 3) | wire);
  }
  int(f: number, v: number): this {
    this.key(f, 0);
    this.varint(v);
    return this;
  }
  float(f: number, v: number): this {
    this.key(f, 5);
    const u = new Uint8Array(new Float32Array([v]).buffer);
    this.b.push(...u);
    return this;
  }
  bytes(f: number, data: Uint8Array): this {
    this.key(f, 2);
    this.varint(data.length);
    for (let i = 0; i < data.length; i++) this.b.push(data[i]);
    return this;
  }
  str(f: number, s: string): this {
    return this.bytes(f, new TextEncoder().encode(s));
  }
  msg(f: number, m: Pb): this {
    return this.bytes(f, m.finish());
  }
  finish(): Uint8Array {
    return new Uint8Array(this.b);
  }
}

export const F32 = 1, I64 = 7;
export type Attr = { name: string; i?: number; f?: number };
export interface OnnxNode { op: string; inputs: string[]; outputs: string[]; attrs?: Attr[] }
export interface OnnxInit { name: string; dtype: number; dims: number[]; raw: Uint8Array }

function valueInfo(name: string, shape: number[]): Pb {
  const sh = new Pb();
  for (const d of shape) sh.msg(1, new Pb().int(1, d));
  const tensorType = new Pb().int(1, F32).msg(2, sh);
  return new Pb().str(1, name).msg(2, new Pb().msg(1, tensorType));
}

/** ModelProto bytes (IR 9, opset 20) of a graph with float32 inputs and one output 'y'. */
export function onnxModel(nodes: OnnxNode[], inputs: OnnxInput[], outShape: number[], inits: OnnxInit[] = []): Uint8Array {
  const g = new Pb();
  nodes.forEach((n, k) => {
    const p = new Pb();
    for (const i of n.inputs) p.str(1, i);
    for (const o of n.outputs) p.str(2, o);
    p.str(3, `n${k}`).str(4, n.op);
    for (const a of n.attrs ?? []) {
      const ap = new Pb().str(1, a.name);
      if (a.f !== undefined) ap.float(2, a.f).int(20, 1);
      else ap.int(3, a.i!).int(20, 2);
      p.msg(5, ap);
    }
    g.msg(1, p);
  });
  g.str(2, 'bench');
  for (const t of inits) {
    const tp = new Pb();
    for (const d of t.dims) tp.int(1, d);
    tp.int(2, t.dtype).str(8, t.name).bytes(9, t.raw);
    g.msg(5, tp);
  }
  for (const i of inputs) g.msg(11, valueInfo(i.name, i.shape));
  g.msg(12, valueInfo('y', outShape));
  return new Pb().int(1, 9).str(2, 'webmlx-bench').msg(7, g).msg(8, new Pb().str(1, '').int(2, 20)).finish();
}

export const scalarF32 = (name: string, v: number): OnnxInit => ({ name, dtype: F32, dims: [], raw: new Uint8Array(new Float32Array([v]).buffer) });
