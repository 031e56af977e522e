// Shared helpers of the suites: device selection on the library under test, building
// fixture operands, and running fixture tables (one test per op, one eval per test).
import * as mx from '../../src/index.ts';
import { AssertionError, assertClose, assertRejects } from '../harness/assert.ts';
import type { DeviceName, TestCtx, TestFn } from '../harness/suite.ts';
import type { ArgValue, ArrSpec, FixtureKey, FixtureView, OpCase, Operand } from '../fixtures/types.ts';

export { mx };
export type MxArray = mx.MxArray;
export type Args = { readonly [k: string]: ArgValue };
export type Input = MxArray | number | boolean;

/** Selects ctx.device on the library under test (the harness may drive a stub mx). */
export function useDevice(ctx: TestCtx | DeviceName): void {
  const d = typeof ctx === 'string' ? ctx : ctx.device;
  mx.setDefaultDevice(d === 'cpu' ? mx.cpu : mx.gpu);
}

/** The harness's `test`, with every case first selecting its device in webmlx. */
export function onDevice(test: TestFn): TestFn {
  return (name, fn, opts) =>
    test(
      name,
      (ctx) => {
        useDevice(ctx);
        return fn(ctx);
      },
      opts,
    );
}

/** Cases that need 64-bit dtypes run on the CPU device only. */
export const CPU_ONLY = { devices: ['cpu' as DeviceName] };
export const GPU_ONLY = { devices: ['gpu' as DeviceName] };

// ------------------------------------------------------------------ building operands

/** A fixture key as `a.index()` takes it. */
export function toKey(k: FixtureKey): mx.IndexKey {
  if (k !== null && typeof k === 'object') return mx.array(k.array as mx.NestedData, k.dtype);
  return k;
}

function applyView(x: MxArray, v: FixtureView): MxArray {
  switch (v.op) {
    case 'transpose':
      return mx.transpose(x, v.axes);
    case 'index':
      return x.index(...v.keys.map(toKey));
    case 'broadcast':
      return mx.broadcastTo(x, v.shape);
  }
}

/** `mx.array(data, dtype)` in the spec's shape, then its view. */
export function makeArray(s: ArrSpec): MxArray {
  let x: MxArray;
  if (s.shape.length === 0) x = mx.array(s.data[0] as number | boolean, s.dtype);
  else {
    x = mx.array(s.data as mx.NestedData, s.dtype);
    if (s.shape.length !== 1) x = mx.reshape(x, s.shape);
  }
  return s.view ? applyView(x, s.view) : x;
}

export function build(o: Operand): Input {
  return 'scalar' in o ? o.scalar : makeArray(o);
}

// ------------------------------------------------------------------ checking results

export interface Tol {
  rtol?: number;
  atol?: number;
}

/** Dtype, shape and values of `actual` against a fixture spec (values via `data()`). */
export async function checkArray(actual: MxArray, exp: ArrSpec, tol: Tol = {}, what = 'result'): Promise<void> {
  if (!(actual instanceof mx.MxArray)) throw new AssertionError(`${what}: not an array (${String(actual)})`);
  if (actual.dtype.name !== exp.dtype) throw new AssertionError(`${what}: dtype ${actual.dtype.name}, expected ${exp.dtype}`);
  const shape = [...actual.shape];
  if (shape.length !== exp.shape.length || shape.some((d, i) => d !== exp.shape[i]))
    throw new AssertionError(`${what}: shape [${shape.join(', ')}], expected [${exp.shape.join(', ')}]`);
  const got = await actual.data();
  assertClose(Array.from(got as ArrayLike<number>, Number), exp.data as (number | boolean)[], {
    rtol: tol.rtol ?? 0,
    atol: tol.atol ?? 0,
    msg: `${what} values (${exp.dtype} [${exp.shape.join(', ')}])`,
  });
}

/** Computes the op of a case from its built inputs and args. */
export type Adapter = (xs: Input[], args: Args, c: OpCase) => MxArray | MxArray[];

export const arr = (x: Input): MxArray => {
  if (!(x instanceof mx.MxArray)) throw new Error('fixture operand must be an array here');
  return x;
};

function errText(e: unknown): string {
  return e instanceof Error ? `${e.name === 'AssertionError' ? '' : e.name + ': '}${e.message}` : String(e);
}

interface Pending {
  c: OpCase;
  outs?: MxArray[];
  err?: unknown;
}

/**
 * Runs fixture cases of one op: builds them all, evaluates all results with one
 * `mx.eval`, then checks each; every failing case is listed in the error.
 */
export async function runCases(cases: OpCase[], adapter: Adapter): Promise<void> {
  const items: Pending[] = cases.map((c) => {
    try {
      const r = adapter(c.inputs.map(build), c.args ?? {}, c);
      return { c, outs: Array.isArray(r) ? r : [r] };
    } catch (err) {
      return { c, err };
    }
  });
  const all = items.flatMap((i) => i.outs ?? []);
  try {
    await mx.eval(...all);
  } catch {
    // localise: evaluate case by case
    for (const i of items) {
      if (!i.outs) continue;
      try {
        await mx.eval(...i.outs);
      } catch (err) {
        i.err = err;
        i.outs = undefined;
      }
    }
  }
  for (const i of items) {
    if (!i.outs) continue;
    const exp = Array.isArray(i.c.out) ? i.c.out : [i.c.out];
    try {
      if (i.outs.length !== exp.length) throw new AssertionError(`${i.outs.length} outputs, expected ${exp.length}`);
      for (let k = 0; k < exp.length; k++) {
        await checkArray(i.outs[k], exp[k], i.c, exp.length > 1 ? `output ${k}` : 'result');
      }
    } catch (err) {
      i.err = err;
    }
  }
  const bad = items.filter((i) => i.err !== undefined);
  if (bad.length) {
    const lines = bad.slice(0, 25).map((i) => `  - ${i.c.op} / ${i.c.name}: ${errText(i.err)}${i.c.note ? ` [note: ${i.c.note}]` : ''}`);
    if (bad.length > 25) lines.push(`  ... and ${bad.length - 25} more`);
    throw new AssertionError(`${bad.length} of ${items.length} fixture cases failed:\n${lines.join('\n')}`);
  }
}

/**
 * Registers fixture cases as tests: one per op (cases needing 64-bit dtypes go to a
 * separate CPU-only test), named by op.
 */
export function fixtureTests(
  test: TestFn,
  cases: OpCase[],
  adapters: Record<string, Adapter>,
  label = (op: string) => op,
  /** At most this many cases per test (ops whose kernels compile slowly on software GPUs). */
  chunk = Infinity,
): void {
  const groups = new Map<string, OpCase[]>();
  for (const c of cases) {
    const k = `${c.op}\u0000${c.cpuOnly ? 1 : 0}`;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  for (const [k, all] of groups) {
    const [op, cpuOnly] = k.split('\u0000');
    const parts = Math.max(1, Math.ceil(all.length / chunk));
    for (let p = 0; p < parts; p++) {
      const list = parts > 1 ? all.slice(p * chunk, (p + 1) * chunk) : all;
      const part = parts > 1 ? ` [${p + 1}/${parts}]` : '';
      const name = `${label(op)}${part}: ${list.length} fixture case${list.length > 1 ? 's' : ''}${cpuOnly === '1' ? ' (64-bit, cpu only)' : ''}`;
      const adapter = adapters[op];
      test(
        name,
        async () => {
          if (!adapter) throw new Error(`no adapter for fixture op '${op}'`);
          await runCases(list, adapter);
        },
        cpuOnly === '1' ? CPU_ONLY : undefined,
      );
    }
  }
}

// ------------------------------------------------------------------ small helpers

/** Evaluates several arrays at once and reads them all back as nested lists. */
export async function lists(...xs: MxArray[]): Promise<unknown[]> {
  await mx.eval(...xs);
  return Promise.all(xs.map((x) => x.tolist()));
}

/** Reads back an array as plain numbers (bool as 0/1, 64-bit as Number). */
export async function nums(x: MxArray): Promise<number[]> {
  return Array.from((await x.data()) as ArrayLike<number>, Number);
}

export function num(a: ArgValue | undefined, dflt?: number): number | undefined {
  return typeof a === 'number' ? a : dflt;
}

/** An axis argument: a number, a list of numbers, or null/absent (all axes). */
export function axisArg(a: ArgValue | undefined): number | number[] | undefined {
  if (a === null || a === undefined) return undefined;
  if (typeof a === 'number') return a;
  return a as number[];
}

/**
 * Evaluates what `fn` builds and returns it with the WGSL of every kernel that ran (none on
 * the CPU device); the debug log is restored afterwards.
 */
export async function withKernels<T extends MxArray>(device: DeviceName, fn: () => T): Promise<{ out: T; kernels: string[] }> {
  const kernels: string[] = [];
  if (device === 'gpu') mx.setDebug({ logKernels: true, log: (m) => kernels.push(m) });
  try {
    const out = fn();
    await mx.eval(out);
    return { out, kernels };
  } finally {
    if (device === 'gpu') mx.setDebug({ logKernels: false, log: (m) => console.log(m) });
  }
}

/**
 * The WGSL of the kernel named `entry` that `run` generates on a device made to look as if
 * it offered f16 16x16x16 subgroup matrices in one builtin spelling. This device has no
 * such units, so the evaluation must fail with `fails`; settings are restored after.
 */
export async function fakeSubgroupMatrixKernel(templateMajor: boolean, run: () => MxArray, entry: string, fails: RegExp): Promise<string> {
  const ctx = (await import('../../src/backend/webgpu/context.ts')).currentContext()!;
  const features = ctx.features as { shaderF16: boolean };
  const f16 = features.shaderF16;
  ctx.subgroupMatrix = { configs: [{ componentType: 'f16', resultComponentType: 'f32', M: 16, N: 16, K: 16 }], subgroupSize: 32, templateMajor };
  features.shaderF16 = true;
  const lines: string[] = [];
  mx.setDebug({ logKernels: true, log: (m) => lines.push(m) });
  try {
    // a float16 result's pack kernel (vec4<f16> stores) may be the first to fail, by runtime
    const either = new RegExp(`${fails.source}|\\[gpu\\] Compiling the WebGPU kernel for [^\\n]* \\(pack\\) failed`);
    await assertRejects(() => mx.eval(run()), either);
  } finally {
    mx.setDebug({ logKernels: false, log: (m) => console.log(m) });
    ctx.subgroupMatrix = null;
    features.shaderF16 = f16;
  }
  return lines.find((l) => l.includes(`fn ${entry}(`)) ?? '';
}
