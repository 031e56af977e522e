// mx.fast.wgslKernel, MLX's metal_kernel for WGSL: the user writes the body of a compute
// entry point; we generate the bindings (inputs read-only, outputs read_write), template
// constants, shape helpers and MLX's thread-position names, and run it as an extern op.
import { MxArray, type Realized } from '../core/array.ts';
import { bool, toDtype, type Dtype, type DtypeLike } from '../core/dtype.ts';
import { resolveDevice, type StreamOpt } from '../core/device.ts';
import { contiguousStrides, isContiguous, type Shape } from '../core/shape.ts';
import type { ExternOp } from '../ir/extern.ts';
import { callExtern } from '../ops/extern.ts';
import { array } from '../ops/core.ts';
import type { BuildCtx } from '../backend/webgpu/segment.ts';
import { Params } from '../backend/webgpu/params.ts';
import { mapKernel } from '../backend/webgpu/kernels/map.ts';
import { wideOf, wtype } from '../backend/webgpu/layout.ts';
import { assemble } from '../backend/webgpu/wgsl.ts';
import { fmt } from './util.ts';

/** What a kernel is: its names and the body of its entry point. */
export interface WgslKernelSpec {
  name: string;
  inputNames: string[];
  outputNames: string[];
  /** WGSL statements: the body of the entry point. */
  source: string;
  /** WGSL placed before the entry point (helper functions, constants). */
  header?: string;
  /** Outputs as `array<atomic<i32 | u32>>` (use `initValue` to fill them first). */
  atomicOutputs?: boolean;
}

/** One launch: MLX's `grid` counts threads (dispatchThreads), `threadgroup` is the workgroup size. */
export interface WgslKernelCall extends StreamOpt {
  grid: [number, number, number];
  threadgroup: [number, number, number];
  outputShapes: number[][];
  outputDtypes: DtypeLike[];
  /** Template arguments: dtypes become `alias NAME = f32;`, numbers and booleans `const NAME = v;`. */
  templates?: [string, number | boolean | DtypeLike][];
  /** Fills every output with this value before the kernel runs. */
  initValue?: number | null;
}

interface Attrs {
  spec: WgslKernelSpec;
  call: WgslKernelCall;
  outDtypes: Dtype[];
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const OUT_OK = new Set(['float32', 'float16', 'bfloat16', 'int32', 'uint32']);

/** The WGSL element type a kernel sees for a dtype (16-bit floats as f32, small ints widened). */
const elemType = (d: Dtype): string => (wtype(d) === 'bool' ? 'u32' : wtype(d));

function templateDecl(name: string, v: number | boolean | DtypeLike): string {
  if (typeof v === 'boolean') return `const ${name} = ${v};`;
  if (typeof v === 'number') return `const ${name} = ${Number.isInteger(v) ? String(v) : v.toExponential()};`;
  return `alias ${name} = ${elemType(toDtype(v))};`;
}

/** `NAME_shape`, `NAME_strides`, `NAME_ndim` (i32, row-major) where the source mentions them. */
function shapeHelpers(name: string, shape: Shape, text: string): string[] {
  const out: string[] = [];
  const arr = (v: readonly number[]) => `array<i32, ${Math.max(1, v.length)}>(${(v.length ? v : [0]).map((x) => `${x}i`).join(', ')})`;
  if (text.includes(`${name}_shape`)) out.push(`var<private> ${name}_shape: ${arr(shape).split('(')[0]} = ${arr(shape)};`);
  if (text.includes(`${name}_strides`)) out.push(`var<private> ${name}_strides: ${arr(shape).split('(')[0]} = ${arr(contiguousStrides(shape))};`);
  if (text.includes(`${name}_ndim`)) out.push(`const ${name}_ndim: i32 = ${shape.length}i;`);
  return out;
}

/** The whole module of one launch. */
function kernelCode(a: Attrs, ins: MxArray[], entry: string): string {
  const { spec, call } = a;
  const text = `${spec.header ?? ''}\n${spec.source}`;
  const lines: string[] = [];
  for (const [n, v] of call.templates ?? []) lines.push(templateDecl(n, v));
  const nIn = ins.length;
  spec.inputNames.forEach((n, i) => {
    lines.push(`@group(0) @binding(${i + 2}) var<storage, read> ${n}: array<${elemType(ins[i].dtype)}>;`);
    lines.push(...shapeHelpers(n, ins[i].shape, text));
  });
  spec.outputNames.forEach((n, j) => {
    const T = elemType(a.outDtypes[j]);
    const b = j === 0 ? 1 : nIn + j + 1;
    lines.push(`@group(0) @binding(${b}) var<storage, read_write> ${n}: array<${spec.atomicOutputs ? `atomic<${T}>` : T}>;`);
  });
  if (spec.header) lines.push(spec.header);
  const [tx, ty, tz] = call.threadgroup;
  const [gx, gy, gz] = call.grid.map((g, i) => Math.ceil(g / call.threadgroup[i]));
  const barrier = /\b(workgroupBarrier|storageBarrier|workgroupUniformLoad)\b/.test(text);
  lines.push(`@compute @workgroup_size(${tx}, ${ty}, ${tz})
fn ${entry}(@builtin(workgroup_id) wg_id: vec3<u32>, @builtin(local_invocation_id) thread_position_in_threadgroup: vec3<u32>,
    @builtin(local_invocation_index) thread_index_in_threadgroup: u32) {
  let threadgroup_position_in_grid = vec3<u32>(wg_id.x, wg_id.y % ${gy}u, wg_id.y / ${gy}u);
  let threads_per_threadgroup = vec3<u32>(${tx}u, ${ty}u, ${tz}u);
  let threadgroups_per_grid = vec3<u32>(${gx}u, ${gy}u, ${gz}u);
  let threads_per_grid = vec3<u32>(${call.grid.map((g) => `${g}u`).join(', ')});
  let thread_position_in_grid = threadgroup_position_in_grid * threads_per_threadgroup + thread_position_in_threadgroup;
${barrier ? '' : '  if (any(thread_position_in_grid >= threads_per_grid)) {\n    return;\n  }\n'}${spec.source}
}`);
  return assemble(lines.join('\n'), '');
}

/** A contiguous 32-bit buffer holding x as the kernel sees it (bound as is when it already is one). */
function inputBuffer(cx: BuildCtx, x: MxArray): GPUBuffer {
  const wide = wtype(x.dtype) === 'bool' ? toDtype('uint32') : wideOf(x.dtype);
  const v = cx.valueOf(x);
  if (v && v.storage.dtype === wide && v.offset === 0 && isContiguous(x.shape, v.strides) && v.storage.gpu) return v.storage.gpu.buffer;
  const { k, g } = cx.kernel('wgslKernel input');
  let fn = g.fnOf(x);
  if (x.dtype === bool) {
    k.emit(`fn wk_in(i: u32) -> u32 {\n  return select(0u, 1u, ${fn}(i));\n}`);
    fn = 'wk_in';
  }
  // a temporary: freed once the run is encoded
  const st = cx.temp(wide, Math.max(1, x.size), 'wgslKernel input');
  if (x.size) mapKernel(cx, k, fn, wide, x.size, st);
  return st.gpu!.buffer;
}

const WGSL_KERNEL: ExternOp<Attrs> = {
  name: 'wgslKernel',
  outputs: (_ins, a) => a.call.outputShapes.map((s, i) => ({ shape: [...s], dtype: a.outDtypes[i] })),
  cpu(_ins, a) {
    throw new Error(`[wgslKernel] '${a.spec.name}' is a WebGPU kernel; it cannot run on the CPU device.`);
  },
  gpu(cx, ins, outs, a) {
    const entry = `${a.spec.name.replace(/[^A-Za-z0-9_]/g, '_')}_main`;
    const maxSb = cx.ctx.limits.maxStorageBuffersPerShaderStage;
    if (ins.length + outs.length > maxSb) {
      throw new Error(`[wgslKernel] '${a.spec.name}' binds ${ins.length} inputs and ${outs.length} outputs, more than this device's ${maxSb} storage buffers.`);
    }
    const inBufs = ins.map((x) => inputBuffer(cx, x));
    const res: Realized[] = outs.map((o) => ({ storage: cx.storage(wideOf(o.dtype), o.shape.reduce((p, q) => p * q, 1), a.spec.name), strides: contiguousStrides(o.shape), offset: 0 }));
    if (a.call.initValue != null) {
      res.forEach((r, j) => {
        const { k } = cx.kernel(`${a.spec.name} init`);
        const T = wtype(outs[j].dtype);
        const c = T === 'f32' ? k.p.f32(a.call.initValue!) : T === 'i32' ? k.p.i32(a.call.initValue!) : k.p.u32(a.call.initValue!);
        k.emit(`fn wk_init(i: u32) -> ${T} {\n  return ${c};\n}`);
        if (r.storage.size) mapKernel(cx, k, 'wk_init', r.storage.dtype, r.storage.size, r.storage);
      });
    }
    const [gx, gy, gz] = a.call.grid.map((g, i) => Math.ceil(g / a.call.threadgroup[i]));
    const maxDim = cx.ctx.limits.maxComputeWorkgroupsPerDimension;
    if (gx > maxDim || gy * gz > maxDim) throw new Error(`[wgslKernel] grid ${fmt(a.call.grid)} with threadgroup ${fmt(a.call.threadgroup)} needs more than ${maxDim} workgroups per dimension.`);
    if (gx * gy * gz > 0) {
      cx.push({
        label: `wgslKernel ${a.spec.name}`, code: kernelCode(a, ins, entry), entry, params: new Params().bytes(),
        output: res[0].storage.gpu!.buffer, inputs: inBufs, groups: [gx, gy * gz],
        extraOutputs: res.slice(1).map((r) => r.storage.gpu!.buffer),
      });
    }
    return res;
  },
};

function check(spec: WgslKernelSpec, inputs: MxArray[], c: WgslKernelCall): Dtype[] {
  const who = `[wgslKernel] '${spec.name}'`;
  for (const n of [...spec.inputNames, ...spec.outputNames, ...(c.templates ?? []).map((t) => t[0])]) {
    if (!IDENT.test(n)) throw new Error(`${who}: '${n}' is not a WGSL identifier.`);
  }
  if (!spec.outputNames.length) throw new Error(`${who} needs at least one output.`);
  if (inputs.length !== spec.inputNames.length) throw new Error(`${who} expects ${spec.inputNames.length} inputs (${spec.inputNames.join(', ')}) but got ${inputs.length}.`);
  if (c.outputShapes.length !== spec.outputNames.length || c.outputDtypes.length !== spec.outputNames.length) {
    throw new Error(`${who} has ${spec.outputNames.length} outputs but got ${c.outputShapes.length} shapes and ${c.outputDtypes.length} dtypes.`);
  }
  const dts = c.outputDtypes.map(toDtype);
  dts.forEach((d, j) => {
    if (!OUT_OK.has(d.name)) throw new TypeError(`${who}: output '${spec.outputNames[j]}' has dtype ${d.name}; outputs may be float32, float16, bfloat16, int32 or uint32.`);
    if (spec.atomicOutputs && wtype(d) === 'f32') throw new TypeError(`${who}: atomic output '${spec.outputNames[j]}' must be int32 or uint32 (WGSL has no float atomics), got ${d.name}.`);
  });
  for (const x of inputs) if (x.dtype.size === 8) throw new TypeError(`${who}: input dtype ${x.dtype.name} ${fmt(x.shape)} cannot be used on the GPU.`);
  const okDim = (v: number[]) => v.length === 3 && v.every((x) => Number.isInteger(x) && x >= 0);
  if (!okDim(c.grid) || !okDim(c.threadgroup) || c.threadgroup.some((x) => x < 1)) {
    throw new Error(`${who}: grid ${fmt(c.grid ?? [])} and threadgroup ${fmt(c.threadgroup ?? [])} must be 3 non-negative integers (threadgroup positive).`);
  }
  return dts;
}

/**
 * A custom WebGPU kernel (MLX's `mx.fast.metal_kernel` for WGSL). `source` is the body of
 * the entry point; inputs are `array<f32 | i32 | u32>` (16-bit floats as f32, small ints
 * widened, contiguous), outputs read_write arrays, templates WGSL constants/aliases, and
 * MLX's names (`thread_position_in_grid`, `threads_per_grid`, `NAME_shape`, ...) are defined.
 * @example
 * const k = mx.fast.wgslKernel({ name: 'myexp', inputNames: ['inp'], outputNames: ['out'],
 *   source: 'let i = thread_position_in_grid.x;\nout[i] = exp(inp[i]);' });
 * const [y] = k([x], { grid: [x.size, 1, 1], threadgroup: [64, 1, 1], outputShapes: [x.shape], outputDtypes: [mx.float32] });
 */
export function wgslKernel(spec: WgslKernelSpec): (inputs: (MxArray | number)[], call: WgslKernelCall) => MxArray[] {
  if (!IDENT.test(spec.name.replace(/[^A-Za-z0-9_]/g, '_'))) throw new Error(`[wgslKernel] '${spec.name}' cannot name a kernel.`);
  return (inputs, call) => {
    const dev = resolveDevice(call);
    if (dev.type !== 'gpu') throw new Error(`[wgslKernel] '${spec.name}' runs only on the GPU device (WebGPU), not on the CPU.`);
    const xs = inputs.map((x) => (x instanceof MxArray ? x : array(x, undefined, { stream: dev })));
    const outDtypes = check(spec, xs, call);
    return callExtern(WGSL_KERNEL, xs, { spec, call, outDtypes }, dev);
  };
}
