// GPU checks of the WGSL function library (shaders/elementwise.wgsl, shaders/random.wgsl):
// each function runs in a small compute shader over edge values and sweeps, and the
// results are compared with a float64 JavaScript reference. Runs under two runtimes:
//
//   Node, Dawn/Tint (npm `webgpu`, SwiftShader Vulkan):
//     VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node test/wgsl/check.mjs
//   Deno, wgpu/naga (lavapipe):
//     node_modules/@deno/linux-x64-glibc/deno run -q -A test/wgsl/check.mjs
// (XDG_RUNTIME_DIR=/tmp silences the Vulkan loader's "XDG_RUNTIME_DIR is invalid" lines.)
//
// Both runs first create three modules with every function called (elementwise.wgsl
// alone, random.wgsl alone, both together) inside pushErrorScope('validation'), read
// getCompilationInfo() and popErrorScope(), build the pipeline and dispatch it once.
// Then one kernel per function is compiled the same way and its results compared.
//
// Flags: --compile-only (only the shader-creation / pipeline checks), --verbose (print
// the worst inputs of every function). Exit status 1 on any compile error or tolerance
// violation. erf/erfinv and threefry references come from the TypeScript sources
// (imported directly by Deno, bundled with esbuild under Node).
import { readFileSync } from 'node:fs';

const isDeno = typeof globalThis.Deno !== 'undefined';
const argv = isDeno ? globalThis.Deno.args : globalThis.process.argv.slice(2);
const compileOnly = argv.includes('--compile-only');
const verbose = argv.includes('--verbose');
const root = new URL('../../', import.meta.url);
const readText = (rel) => readFileSync(new URL(rel, root), 'utf8');

const ELEMENTWISE = readText('shaders/elementwise.wgsl');
const RANDOM = readText('shaders/random.wgsl');
const LIB = `${ELEMENTWISE}\n${RANDOM}`;

function exit(code) {
  if (isDeno) globalThis.Deno.exit(code);
  else globalThis.process.exit(code);
}

// ---- references from the TypeScript sources -------------------------------------

async function importTs(rel) {
  const url = new URL(rel, root);
  if (isDeno) return import(url.href);
  const esbuild = await import('esbuild');
  const { fileURLToPath } = await import('node:url');
  const out = await esbuild.build({
    entryPoints: [fileURLToPath(url)],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    logLevel: 'silent',
  });
  const b64 = globalThis.Buffer.from(out.outputFiles[0].text).toString('base64');
  return import(`data:text/javascript;base64,${b64}`);
}

// ---- GPU plumbing ----------------------------------------------------------------

async function getGpu() {
  if (isDeno) return globalThis.navigator.gpu;
  const spec = 'webgpu'; // computed so Deno's module graph does not try to resolve it
  const { create, globals } = await import(spec);
  Object.assign(globalThis, globals);
  return create(['backend=vulkan']);
}

const gpu = await getGpu();
if (!gpu) {
  console.error('no WebGPU (navigator.gpu undefined)');
  exit(2);
}
const adapter = await gpu.requestAdapter();
if (!adapter) {
  console.error('requestAdapter() returned null');
  exit(2);
}
const device = await adapter.requestDevice();
const info = adapter.info ?? {};
const adapterName = [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(' / ');
const runtime = isDeno ? `Deno ${globalThis.Deno.version.deno} (wgpu/naga)` : `Node ${globalThis.process.version} (Dawn/Tint, npm webgpu)`;
console.log(`# ${runtime}; adapter: ${adapterName || '(no adapter info)'}`);

const layout = (() => {
  const entries = [0, 1, 2].map((binding) => ({
    binding,
    visibility: GPUShaderStage.COMPUTE,
    buffer: { type: binding < 2 ? 'read-only-storage' : 'storage' },
  }));
  const bgl = device.createBindGroupLayout({ entries });
  return { bgl, pipeline: device.createPipelineLayout({ bindGroupLayouts: [bgl] }) };
})();

/** Creates module + pipeline inside a validation scope; throws with all messages on error. */
async function compile(code, label) {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code, label });
  let messages = [];
  if (typeof module.getCompilationInfo === 'function') {
    const ci = await module.getCompilationInfo();
    messages = [...ci.messages].map((m) => `${m.type} ${m.lineNum}:${m.linePos} ${m.message}`);
  }
  const pipeline = device.createComputePipeline({ label, layout: layout.pipeline, compute: { module, entryPoint: 'main' } });
  const err = await device.popErrorScope();
  const errors = messages.filter((m) => m.startsWith('error'));
  if (err || errors.length) {
    throw new Error(`${label}: ${err ? err.message : ''}\n${messages.join('\n')}`);
  }
  return { pipeline, warnings: messages.filter((m) => m.startsWith('warning')) };
}

function kernel(ta, tb, to, n, body, lib = LIB) {
  return `${lib}
@group(0) @binding(0) var<storage, read> xa: array<${ta}>;
@group(0) @binding(1) var<storage, read> xb: array<${tb}>;
@group(0) @binding(2) var<storage, read_write> yo: array<${to}>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= ${n}u) {
    return;
  }
  ${body}
}
`;
}

function storage(data) {
  const size = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
  const buf = device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buf, 0, data.buffer, data.byteOffset, data.byteLength);
  return buf;
}

/** Runs a compiled pipeline over n threads; returns the output words (outWords u32s). */
async function dispatch(pipeline, a, b, n, outWords) {
  const ba = storage(a);
  const bb = storage(b);
  const size = Math.max(16, Math.ceil((outWords * 4) / 16) * 16);
  const out = device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const bind = device.createBindGroup({
    layout: layout.bgl,
    entries: [ba, bb, out].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bind);
  pass.dispatchWorkgroups(Math.ceil(n / 64));
  pass.end();
  enc.copyBufferToBuffer(out, 0, read, 0, size);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const words = new Uint32Array(read.getMappedRange().slice(0, outWords * 4));
  read.unmap();
  for (const buf of [ba, bb, out, read]) buf.destroy();
  return words;
}

// ---- inputs ----------------------------------------------------------------------

const f32 = Math.fround;
const FLT_MAX = 3.4028234663852886e38;
const MIN_NORMAL = 1.1754943508222875e-38;
const ZERO_POS = 0;
const isSubnormal = (x) => x !== 0 && Math.abs(x) < MIN_NORMAL;

function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(12345);

const EDGE = [
  0, -0, 1.4e-45, -1.4e-45, 1e-40, -1e-40, MIN_NORMAL, -MIN_NORMAL, 1e-30, -1e-30, 1e-20, -1e-20, 1e-10, -1e-10,
  1e-7, -1e-7, 1e-6, -1e-6, 1e-5, -1e-5, 1e-3, -1e-3, 0.1, -0.1, 0.5, -0.5, 0.75, -0.75, 1, -1, 1.5, -1.5, 2, -2,
  3, -3, 10, -10, 100, -100, 1e4, -1e4, 1e10, -1e10, 1e20, -1e20, 1e30, -1e30, FLT_MAX, -FLT_MAX, Infinity,
  -Infinity, NaN,
];

const bits32 = new Float32Array(1);
const bitsU = new Uint32Array(bits32.buffer);
/** The k-th f32 after x (k may be negative), for x > 0. */
function ulpStep(x, k) {
  bits32[0] = x;
  bitsU[0] += k;
  return bits32[0];
}
const near = (x, k) => Array.from({ length: 2 * k + 1 }, (_, i) => ulpStep(x, i - k));
const lin = (lo, hi, n) => Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
function logs(lo, hi, perDecade, signs = [1, -1]) {
  const out = [];
  for (let e = lo; e <= hi; e += 1 / perDecade) for (const s of signs) out.push(s * 10 ** e);
  return out;
}
const uni = (lo, hi, n) => Array.from({ length: n }, () => lo + (hi - lo) * rand());
const COMMON = [...EDGE, ...logs(-38, 38, 4)];

// ---- references ------------------------------------------------------------------

const ew = await importTs('src/ops/defs/elementwise.ts');
const { threefry2x32 } = await importTs('src/random/threefry.ts');

const sigmoid = (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const nanMax = (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b));
const nanMin = (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b));
function logaddexp(a, b) {
  if (a === b) return a + Math.LN2; // covers both -inf and both +inf
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}
// C / NumPy pow (JS Math.pow differs for 1^NaN, (-1)^±inf, x^0 with NaN x is the same)
function cpow(x, y) {
  if (y === 0 || x === 1) return 1;
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  if (x === -1 && !Number.isFinite(y)) return 1;
  return Math.pow(x, y);
}
// NumPy npy_divmod for doubles
function npDivmod(a, b) {
  const mod0 = a % b;
  if (b === 0) return [a / b, mod0];
  let mod = mod0;
  let div = (a - mod) / b;
  if (mod !== 0) {
    // (NaN counts as nonzero, as in C)
    if (b < 0 !== mod < 0) {
      mod += b;
      div -= 1;
    }
  } else mod = b < 0 ? -0 : 0;
  let fd;
  if (div !== 0) {
    fd = Math.floor(div);
    if (div - fd > 0.5) fd += 1;
  } else fd = a / b < 0 || Object.is(a / b, -0) ? -0 : 0;
  return [fd, mod];
}
const INT_MIN = -2147483648;
const I32_EDGE = [0, 1, -1, 2, -2, 3, -3, 5, -5, 7, -7, 31, 32, 33, 100, -100, 65535, 65536, -65536, 2147483647, INT_MIN, INT_MIN + 1];
const U32_EDGE = [0, 1, 2, 3, 5, 7, 31, 32, 33, 100, 65535, 65536, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
function modpow(a, b, bits, signed) {
  let r = 1n;
  let base = BigInt(a);
  let e = BigInt(b);
  const m = (v) => (signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v));
  while (e > 0n) {
    if (e & 1n) r = m(r * base);
    base = m(base * base);
    e >>= 1n;
  }
  return Number(m(r));
}
function powI32(a, b) {
  if (b < 0) return a === 1 ? 1 : a === -1 ? (b & 1 ? -1 : 1) : 0;
  return modpow(a, b, 32, true);
}
function floordivI32(a, b) {
  if (b === 0) return 0;
  return Math.floor(a / b) | 0;
}
function remI32(a, b) {
  if (b === 0) return 0;
  let r = a % b;
  if (r !== 0 && r < 0 !== b < 0) r += b;
  return r | 0;
}

// ---- cases -----------------------------------------------------------------------

// tol: { atol, rtol } (pass when |got - ref| <= atol or <= rtol |ref|), 'exact', or a
// function of the inputs returning { atol, rtol }.
const cases = [];
function unary(name, ref, extra, tol) {
  cases.push({ name, types: ['f32'], out: 'f32', expr: (a) => `${name}(a)`, ref, args: [[...COMMON, ...extra]], tol });
}
function pred(name, ref) {
  cases.push({ name, types: ['f32'], out: 'bool', expr: (a) => `${name}(a)`, ref, args: [[...COMMON, ...lin(-5, 5, 101)]], tol: 'exact' });
}
function pairs(xs, ys) {
  const a = [];
  const b = [];
  for (const x of xs) for (const y of ys) a.push(x), b.push(y);
  return [a, b];
}
function binary(name, types, out, ref, cols, tol) {
  cases.push({ name, types, out, expr: (a, b) => `${name}(a, b)`, ref, args: cols, tol });
}
const concatCols = (...colsList) => colsList.reduce((acc, cols) => acc.map((c, i) => c.concat(cols[i])));

const T = (atol, rtol) => ({ atol, rtol });
unary('mx_expm1', Math.expm1, [...lin(-1, 1, 2001), ...lin(-25, 90, 2001), ...near(f32(88.72283), 4)], T(0, 1e-6));
unary('mx_log1p', Math.log1p, [...lin(-1, 3, 4001), ...near(1, 20).map((x) => x - 1), ...near(f32(0.41421357), 4), ...near(f32(0.29289323), 4).map((x) => -x), ...logs(-38, 38, 16, [1])], T(0, 1e-6));
unary('mx_log10', Math.log10, [...logs(-38, 38, 16, [1]), ...near(1, 50), ...lin(0.5, 2, 2001), ...[1, 10, 100, 1000, 1e5, 1e-5]], T(0, 1e-6));
unary('mx_sinh', Math.sinh, [...lin(-2, 2, 2001), ...lin(-90, 90, 2001), ...lin(87, 90, 301)], T(0, 1e-6));
unary('mx_cosh', Math.cosh, [...lin(-2, 2, 2001), ...lin(-90, 90, 2001), ...lin(87, 90, 301)], T(0, 1e-6));
unary('mx_tanh', Math.tanh, [...lin(-2, 2, 2001), ...lin(-12, 12, 2001)], T(0, 1e-6));
unary('mx_asinh', Math.asinh, [...lin(-5, 5, 2001), ...logs(-38, 38, 16)], T(0, 1e-6));
unary('mx_acosh', Math.acosh, [...near(1, 100), ...lin(1, 10, 2001), ...logs(0, 38, 16, [1])], T(0, 1e-6));
unary('mx_atanh', Math.atanh, [...lin(-1, 1, 4001), ...near(f32(0.99999994), 20).filter((x) => x <= 1), ...logs(-38, 0, 16)], T(0, 1e-6));
unary('mx_sigmoid', sigmoid, [...lin(-110, 110, 4001), ...lin(-5, 5, 1001)], T(0, 1e-6));
unary('mx_erf', ew.erf, [...lin(-6, 6, 6001), ...lin(-0.6, 0.6, 1201)], T(1e-6, 1e-6));
unary('mx_erfinv', ew.erfinv, [...lin(-1, 1, 4001), ...near(f32(0.99999994), 30).filter((x) => x <= 1), ...near(f32(0.99999994), 30).filter((x) => x <= 1).map((x) => -x), ...lin(0.99, 1, 1001), ...logs(-38, 0, 16)], T(0, 1e-5));
unary('mx_sign_f32', (x) => (Number.isNaN(x) ? NaN : Math.sign(x)), [], 'exact');
pred('mx_isnan', (x) => +Number.isNaN(x));
pred('mx_isinf', (x) => +(x === Infinity || x === -Infinity));
pred('mx_isfinite', (x) => +Number.isFinite(x));
cases.push({ name: 'mx_sign_i32', types: ['i32'], out: 'i32', expr: (a) => `mx_sign_i32(a)`, ref: Math.sign, args: [I32_EDGE], tol: 'exact' });

const BIN_EDGE = [0, -0, 1e-40, 3e-38, 1e-30, -1e-30, 1e-6, 0.1, -0.1, 0.5, -0.5, 1, -1, 1.5, -1.5, 2, -2, 3, -3, 7, -7, 10, 100, -100, 1e10, -1e10, 1e30, -1e30, 1e38, -2e38, FLT_MAX, -FLT_MAX, Infinity, -Infinity, NaN];
const randPairs = (n, fa, fb) => [Array.from({ length: n }, fa), Array.from({ length: n }, fb)];
const bin = (name, ref, extra, tol) => binary(name, ['f32', 'f32'], 'f32', ref, concatCols(pairs(BIN_EDGE, BIN_EDGE), extra), tol);
bin('mx_maximum', nanMax, randPairs(200, () => uni(-10, 10, 1)[0], () => uni(-10, 10, 1)[0]), 'exact');
bin('mx_minimum', nanMin, randPairs(200, () => uni(-10, 10, 1)[0], () => uni(-10, 10, 1)[0]), 'exact');
bin('mx_logaddexp', logaddexp, concatCols(randPairs(2000, () => uni(-100, 100, 1)[0], () => uni(-100, 100, 1)[0]), randPairs(2000, () => uni(-3, 3, 1)[0], () => uni(-3, 3, 1)[0])), T(1e-7, 1e-6));
// small integers and decimals where GPU division is not correctly rounded
const smallInts = lin(-12, 12, 25);
const divExtra = concatCols(
  pairs(smallInts, smallInts),
  pairs([1, 2, 3, 0.3, 0.7, 1.1, -1, -2.5, 5.3, 100, 12345.678], [0.1, 0.2, 0.3, -0.1, 0.7, 1e-3, 2.5, -2.5]),
  randPairs(3000, () => uni(-1000, 1000, 1)[0], () => uni(-50, 50, 1)[0]),
);
// floor of a quotient: exact unless the quotient is beyond 2^24
const divTol = T(0, 2 ** -23);
bin('mx_floordiv_f32', (a, b) => npDivmod(a, b)[0], divExtra, divTol);
// remainder: error relative to the operands' scale (exact when the device fuses fma)
bin('mx_remainder_f32', (a, b) => npDivmod(a, b)[1], divExtra, (a, b) => T(2 ** -22 * Math.max(Math.abs(a), Math.abs(b)), 0));
const POW_X = [0, -0, 1e-20, 1e-6, 0.1, 0.5, 0.9, 0.999, 1, 1.001, 1.5, 2, 3, 10, 1e10, 1e20, -0.5, -1, -1.5, -2, -3, -10, Infinity, -Infinity, NaN];
const POW_Y = [0, -0, 0.5, -0.5, 1, -1, 2, -2, 3, -3, 1.5, 2.5, 7, -7, 10, 33, 64, -64, 65, 100, 100.5, -100.5, 1e10, 3e7, 16777217, Infinity, -Infinity, NaN];
const powTol = (x, y) => T(0, 1e-6 + 2e-7 * Math.abs(y * Math.log(Math.abs(x)) || 0));
bin('mx_pow_f32', cpow, concatCols(
  pairs(POW_X, POW_Y),
  randPairs(2000, () => uni(0, 10, 1)[0], () => uni(-30, 30, 1)[0]),
  randPairs(1000, () => uni(-10, 0, 1)[0], () => Math.round(uni(-30, 30, 1)[0])),
  randPairs(1000, () => uni(0.99, 1.01, 1)[0], () => uni(-3000, 3000, 1)[0]),
), powTol);

const i32Pairs = concatCols(pairs(I32_EDGE, I32_EDGE), randPairs(1000, () => Math.floor(uni(-1000, 1000, 1)[0]), () => Math.floor(uni(-40, 40, 1)[0])));
const u32Pairs = concatCols(pairs(U32_EDGE, U32_EDGE), randPairs(1000, () => Math.floor(uni(0, 2 ** 32, 1)[0]), () => Math.floor(uni(0, 40, 1)[0])));
binary('mx_floordiv_i32', ['i32', 'i32'], 'i32', floordivI32, i32Pairs, 'exact');
binary('mx_floordiv_u32', ['u32', 'u32'], 'u32', (a, b) => (b === 0 ? 0 : Math.floor(a / b)), u32Pairs, 'exact');
binary('mx_remainder_i32', ['i32', 'i32'], 'i32', remI32, i32Pairs, 'exact');
binary('mx_remainder_u32', ['u32', 'u32'], 'u32', (a, b) => (b === 0 ? 0 : a % b), u32Pairs, 'exact');
binary('mx_pow_i32', ['i32', 'i32'], 'i32', powI32, i32Pairs, 'exact');
binary('mx_pow_u32', ['u32', 'u32'], 'u32', (a, b) => modpow(a, b, 32, false), u32Pairs, 'exact');
const shiftCounts = [0, 1, 2, 7, 15, 16, 30, 31, 32, 33, 63, 64, 100, 0x7fffffff, 0x80000000, 0xffffffff];
const i32Shift = pairs(I32_EDGE, shiftCounts);
const u32Shift = pairs(U32_EDGE, shiftCounts);
binary('mx_shl_i32', ['i32', 'u32'], 'i32', (a, b) => (b >= 32 ? 0 : a << b), i32Shift, 'exact');
binary('mx_shr_i32', ['i32', 'u32'], 'i32', (a, b) => a >> Math.min(b, 31), i32Shift, 'exact');
binary('mx_shl_u32', ['u32', 'u32'], 'u32', (a, b) => (b >= 32 ? 0 : (a << b) >>> 0), u32Shift, 'exact');
binary('mx_shr_u32', ['u32', 'u32'], 'u32', (a, b) => (b >= 32 ? 0 : a >>> b), u32Shift, 'exact');

// ---- comparison ------------------------------------------------------------------

const typed = { f32: Float32Array, i32: Int32Array, u32: Uint32Array };

/** Error of got against ref (float64): { ok, abs, rel }. */
function compareFloat(got, ref, tol) {
  if (Number.isNaN(ref)) return { ok: Number.isNaN(got), abs: 0, rel: 0 };
  if (Number.isNaN(got)) return { ok: false, abs: Infinity, rel: Infinity };
  const ref32 = f32(ref);
  if (tol === 'exact') return { ok: got === ref32, abs: Math.abs(got - ref32) || 0, rel: 0 };
  if (!Number.isFinite(ref32) || !Number.isFinite(got)) {
    if (got === ref32) return { ok: true, abs: 0, rel: 0 };
    // one side overflowed: fine if the other is within tolerance of FLT_MAX
    const finite = Number.isFinite(got) ? got : ref;
    const ok = Math.sign(got) === Math.sign(ref) && Math.abs(finite) >= FLT_MAX * (1 - Math.max(tol.rtol, 2 ** -23));
    return { ok, abs: ok ? 0 : Infinity, rel: ok ? 0 : Infinity };
  }
  const abs = Math.abs(got - ref);
  const rel = ref === 0 ? (abs === 0 ? 0 : Infinity) : abs / Math.abs(ref);
  // subnormal results may be flushed to zero
  const ok = abs <= tol.atol || rel <= tol.rtol || (Math.abs(ref) < MIN_NORMAL && abs <= MIN_NORMAL);
  return { ok, abs, rel: Math.abs(ref) < MIN_NORMAL ? 0 : rel };
}

/** Reference candidates: devices may flush subnormal inputs to zero. */
function refCandidates(c, xs) {
  const alts = xs.map((x) => (c.types[0] === 'f32' && isSubnormal(x) ? [x, x < 0 ? -0 : ZERO_POS] : [x]));
  let combos = [[]];
  for (const a of alts) combos = combos.flatMap((p) => a.map((v) => [...p, v]));
  return combos.map((args) => c.ref(...args));
}

async function runCase(c) {
  const n = c.args[0].length;
  const cols = c.types.map((t, i) => typed[t].from(c.args[i]));
  const tb = c.types[1] ?? 'f32';
  const b = cols[1] ?? new Float32Array(n);
  const argNames = c.types.length === 2 ? ['a', 'b'] : ['a'];
  const loads = c.types.length === 2 ? 'let a = xa[i];\n  let b = xb[i];' : 'let a = xa[i];';
  const outType = c.out === 'bool' ? 'u32' : c.out;
  const value = c.out === 'bool' ? `select(0u, 1u, ${c.expr(...argNames)})` : c.expr(...argNames);
  const code = kernel(c.types[0], tb, outType, n, `${loads}\n  yo[i] = ${value};`);
  const { pipeline } = await compile(code, c.name);
  const words = await dispatch(pipeline, cols[0], b, n, n);
  const got = new typed[outType === 'u32' && c.out === 'bool' ? 'u32' : outType](words.buffer);
  let maxAbs = 0, maxRel = 0, fails = 0;
  let worst = null;
  const failures = [];
  for (let i = 0; i < n; i++) {
    const xs = cols.map((col) => col[i]);
    let best = null;
    for (const ref of refCandidates(c, xs)) {
      const tol = typeof c.tol === 'function' ? c.tol(...xs) : c.tol;
      const r = c.out === 'f32' ? compareFloat(got[i], ref, tol) : { ok: got[i] === ref, abs: Math.abs(got[i] - ref), rel: 0 };
      r.ref = ref;
      if (!best || (r.ok && !best.ok) || (r.ok === best.ok && r.abs < best.abs)) best = r;
    }
    if (!best.ok) {
      fails++;
      if (failures.length < 8) failures.push(`${c.name}(${xs.join(', ')}) = ${got[i]}, expected ${best.ref}`);
      continue;
    }
    if (Number.isFinite(best.abs) && best.abs > maxAbs) maxAbs = best.abs;
    if (Number.isFinite(best.rel) && best.rel > maxRel) {
      maxRel = best.rel;
      worst = `${c.name}(${xs.join(', ')}) = ${got[i]}, ref ${best.ref}`;
    }
  }
  return { n, maxAbs, maxRel, fails, failures, worst };
}

async function runThreefry() {
  const known = [
    [[0, 0], [0, 0], [0x6b200159, 0x99ba4efe]],
    [[0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x1cb996fc, 0xbb002be7]],
    [[0x13198a2e, 0x03707344], [0x243f6a88, 0x85a308d3], [0xc4923a9c, 0x483df7a0]],
  ];
  const n = known.length + 2000;
  const input = new Uint32Array(4 * n);
  const refs = [];
  for (let i = 0; i < n; i++) {
    const q = i < known.length ? [...known[i][0], ...known[i][1]] : [0, 0, 0, 0].map(() => Math.floor(rand() * 2 ** 32));
    if (i >= known.length && i % 3 === 0) q[2] = i; // counter-like inputs too
    input.set(q, 4 * i);
    const r = threefry2x32(q[0], q[1], q[2], q[3]);
    if (i < known.length && (r[0] !== known[i][2][0] || r[1] !== known[i][2][1])) throw new Error('TS threefry2x32 disagrees with Random123 known answers');
    refs.push(i < known.length ? known[i][2] : r);
  }
  const body = `let k = vec2<u32>(xa[4u * i], xa[4u * i + 1u]);
  let c = vec2<u32>(xa[4u * i + 2u], xa[4u * i + 3u]);
  let r = mx_threefry2x32(k, c);
  yo[2u * i] = r.x;
  yo[2u * i + 1u] = r.y;`;
  const { pipeline } = await compile(kernel('u32', 'u32', 'u32', n, body), 'mx_threefry2x32');
  const words = await dispatch(pipeline, input, new Uint32Array(4), n, 2 * n);
  let fails = 0;
  const failures = [];
  for (let i = 0; i < n; i++) {
    if (words[2 * i] !== refs[i][0] >>> 0 || words[2 * i + 1] !== refs[i][1] >>> 0) {
      fails++;
      if (failures.length < 8) failures.push(`threefry(key ${input.slice(4 * i, 4 * i + 2)}, ctr ${input.slice(4 * i + 2, 4 * i + 4)}) = ${words.slice(2 * i, 2 * i + 2)}, expected ${refs[i]}`);
    }
  }
  return { n, maxAbs: 0, maxRel: 0, fails, failures, worst: null };
}

// ---- compile checks --------------------------------------------------------------

// One kernel that calls every public function, for each file alone and for both together.
const EW_CALLS = `let x = bitcast<f32>(xa[i]);
  let y = bitcast<f32>(xb[i]);
  let s = bitcast<i32>(xa[i]);
  let t = bitcast<i32>(xb[i]);
  let u = xa[i];
  let v = xb[i];
  var f = mx_expm1(x) + mx_log1p(x) + mx_log10(x) + mx_sinh(x) + mx_cosh(x) + mx_tanh(x);
  f = f + mx_asinh(x) + mx_acosh(x) + mx_atanh(x) + mx_sigmoid(x) + mx_erf(x) + mx_erfinv(x);
  f = f + mx_logaddexp(x, y) + mx_maximum(x, y) + mx_minimum(x, y) + mx_sign_f32(x);
  f = f + mx_floordiv_f32(x, y) + mx_remainder_f32(x, y) + mx_pow_f32(x, y);
  f = f + select(0.0, 1.0, mx_isnan(x) || mx_isinf(y) || mx_isfinite(x));
  var k = mx_sign_i32(s) + mx_floordiv_i32(s, t) + mx_remainder_i32(s, t) + mx_pow_i32(s, t);
  k = k + mx_shl_i32(s, v) + mx_shr_i32(s, v);
  var w = mx_floordiv_u32(u, v) + mx_remainder_u32(u, v) + mx_pow_u32(u, v) + mx_shl_u32(u, v) + mx_shr_u32(u, v);
  yo[i] = bitcast<u32>(f) ^ bitcast<u32>(k) ^ w;`;
const RNG_CALLS = `let r = mx_threefry2x32(vec2<u32>(xa[i], xb[i]), vec2<u32>(i, 0u));
  yo[i] = r.x ^ r.y;`;

async function compileChecks() {
  const results = [];
  const checks = [
    ['elementwise.wgsl alone, all functions', kernel('u32', 'u32', 'u32', 64, EW_CALLS, ELEMENTWISE)],
    ['random.wgsl alone', kernel('u32', 'u32', 'u32', 64, RNG_CALLS, RANDOM)],
    ['both files together', kernel('u32', 'u32', 'u32', 64, `${EW_CALLS.replace('yo[i] =', 'let e =')}\n  ${RNG_CALLS.replace('yo[i] = r.x ^ r.y;', 'yo[i] = e ^ r.x ^ r.y;')}`)],
  ];
  for (const [label, code] of checks) {
    try {
      const { pipeline, warnings } = await compile(code, label);
      // run it once too, so the driver really builds the code
      await dispatch(pipeline, new Uint32Array(64).map((_, j) => j * 0x9e3779b9), new Uint32Array(64).map((_, j) => j), 64, 64);
      results.push({ label, ok: true, warnings });
    } catch (e) {
      results.push({ label, ok: false, error: e.message });
    }
  }
  return results;
}

// ---- main ------------------------------------------------------------------------

let failed = false;
const compiled = await compileChecks();
for (const r of compiled) {
  console.log(`compile [${r.ok ? 'ok' : 'FAIL'}] ${r.label}${r.warnings?.length ? ` (${r.warnings.length} warnings)` : ''}`);
  if (!r.ok) {
    failed = true;
    console.log(r.error);
  }
  for (const w of r.warnings ?? []) console.log(`  ${w}`);
}

if (!compileOnly && !failed) {
  const rows = [];
  for (const c of cases) {
    try {
      rows.push({ name: c.name, tol: c.tol, ...(await runCase(c)) });
    } catch (e) {
      rows.push({ name: c.name, n: 0, fails: 1, failures: [e.message] });
    }
  }
  try {
    rows.push({ name: 'mx_threefry2x32', tol: 'exact', ...(await runThreefry()) });
  } catch (e) {
    rows.push({ name: 'mx_threefry2x32', n: 0, fails: 1, failures: [e.message] });
  }
  const fmt = (v) => (v === undefined ? '' : v === 0 ? '0' : v.toExponential(2));
  const tolText = (t) => (t === 'exact' ? 'exact' : typeof t === 'function' ? 'per-input' : t ? `abs ${fmt(t.atol)} / rel ${fmt(t.rtol)}` : '');
  console.log('\nfunction              inputs  max abs err  max rel err  tolerance                 result');
  for (const r of rows) {
    console.log(`${r.name.padEnd(21)} ${String(r.n).padStart(6)}  ${fmt(r.maxAbs).padStart(11)}  ${fmt(r.maxRel).padStart(11)}  ${tolText(r.tol).padEnd(24)}  ${r.fails ? `FAIL (${r.fails})` : 'ok'}`);
    if (verbose && r.worst) console.log(`    worst: ${r.worst}`);
    for (const f of r.failures ?? []) console.log(`    ${f}`);
    if (r.fails) failed = true;
  }
}
console.log(failed ? '\nFAILED' : '\nall checks passed');
exit(failed ? 1 : 0);
