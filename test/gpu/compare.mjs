// GPU vs CPU comparison of every primitive over many dtypes and shapes (the CPU backend
// is the reference). Node: bundles src/index.ts with esbuild and runs on dawn.node
// (SwiftShader); `--deno` then runs the same cases under Deno (lavapipe), `--chromium`
// in a Chromium page (SwiftShader) through playwright-core.
// Usage: node test/gpu/compare.mjs [--deno] [--chromium] [--only=substring] [--verbose] [--strict] [--prebuilt]
const isDeno = typeof Deno !== 'undefined';
const isNode = !isDeno && typeof process !== 'undefined' && !!process.versions?.node;
const args = isDeno ? Deno.args : isNode ? process.argv.slice(2) : new URLSearchParams(location.search).getAll('arg');
const only = args.find((a) => a.startsWith('--only='))?.slice(7) ?? '';
const verbose = args.includes('--verbose');
const strict = args.includes('--strict');
const BUNDLE = new URL('../../dist/gpu-compare/mx.js', import.meta.url);

if (isNode && !args.includes('--prebuilt')) {
  // (--prebuilt: use dist/gpu-compare/mx.js as built earlier, e.g. on a machine without node_modules)
  const { build } = await import('esbuild');
  const { fileURLToPath } = await import('node:url');
  await build({
    entryPoints: [fileURLToPath(new URL('../../src/index.ts', import.meta.url))],
    bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', external: ['webgpu'],
    outfile: fileURLToPath(BUNDLE), logLevel: 'warning',
  });
}
if (isNode) {
  const { existsSync } = await import('node:fs');
  const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json';
  if (!process.env.VK_ICD_FILENAMES && existsSync(swiftshader)) process.env.VK_ICD_FILENAMES = swiftshader;
}

const mx = await import(BUNDLE.href);
const runtime = isDeno ? 'deno' : isNode ? 'node' : 'chromium';

// ---------------------------------------------------------------- inputs
let seed = 12345;
function rand() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const FLOATS = ['float32', 'float16', 'bfloat16'];
const INTS = ['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32'];
const ALL = [...FLOATS, ...INTS, 'bool'];
const SPECIAL = [0, -0, NaN, Infinity, -Infinity, 0.5, 1.5, 2.5, -2.5, 1, -1];
const size = (s) => s.reduce((a, b) => a * b, 1);

/** A realized array of a dtype and shape: floats in [lo, hi] (+ specials), ints in range. */
function rnd(shape, dtype = 'float32', { lo = -3, hi = 3, special = false, ints = false, range = null } = {}) {
  const n = size(shape);
  const v = new Float64Array(n);
  const isF = FLOATS.includes(dtype);
  for (let i = 0; i < n; i++) {
    if (dtype === 'bool') v[i] = rand() < 0.5 ? 1 : 0;
    else if (isF && !ints) v[i] = special && i < SPECIAL.length ? SPECIAL[i] : lo + (hi - lo) * rand();
    else {
      const [a, b] = range ?? (isF || ints ? [lo, hi] : intRange(dtype));
      v[i] = Math.floor(a + (b - a + 1) * rand());
    }
  }
  return mx.reshape(mx.array(v, dtype), shape);
}
function intRange(d) {
  return { int8: [-128, 127], uint8: [0, 255], int16: [-300, 300], uint16: [0, 65535], int32: [-100000, 100000], uint32: [0, 4e9] }[d];
}

// ---------------------------------------------------------------- comparison
const TOL = { float32: [1e-5, 1e-6], float16: [2e-3, 1e-4], bfloat16: [1.6e-2, 1e-3] };

async function values(a) {
  const d = await mx.data(a);
  return Array.from(d, Number);
}

function close(g, c, dtype, tol) {
  if (Number.isNaN(c)) return Number.isNaN(g);
  if (!Number.isFinite(c)) return g === c;
  const [rt, at] = tol ?? TOL[dtype] ?? [0, 0];
  return Math.abs(g - c) <= at + rt * Math.abs(c);
}

const results = { pass: 0, fail: 0, failures: [], lib: [] };
const cases = [];
/**
 * Registers a case: f builds the outputs on the default device (run on gpu, then cpu).
 * `lib` cases sweep the elementwise library over special values: their differences come
 * from ops/defs + shaders/elementwise.wgsl and WGSL builtins, and are listed apart.
 */
function check(name, f, tol, lib = false) {
  cases.push({ name, f, tol, lib });
}

async function runCase({ name, f, tol, lib }) {
  const out = {};
  for (const dev of ['gpu', 'cpu']) {
    mx.setDefaultDevice(dev === 'gpu' ? mx.gpu : mx.cpu);
    // inputs made inside f must be the same on both devices
    seed = [...name].reduce((h, ch) => Math.imul(h ^ ch.charCodeAt(0), 16777619), 2166136261);
    try {
      let r = f();
      r = Array.isArray(r) ? r : [r];
      await mx.eval(...r);
      out[dev] = { r, vals: await Promise.all(r.map(values)) };
    } catch (e) {
      out[dev] = { err: e };
    }
  }
  mx.setDefaultDevice(mx.gpu);
  const { gpu, cpu } = out;
  let msg = null;
  if (gpu.err || cpu.err) {
    if (!(gpu.err && cpu.err)) msg = `gpu ${gpu.err ? 'threw: ' + gpu.err.message : 'ok'}; cpu ${cpu.err ? 'threw: ' + cpu.err.message : 'ok'}`;
  } else {
    for (let k = 0; k < cpu.r.length && !msg; k++) {
      const [ga, ca] = [gpu.r[k], cpu.r[k]];
      if (ga.dtype !== ca.dtype || ga.shape.join() !== ca.shape.join()) {
        msg = `output ${k}: gpu ${ga.dtype.name}[${ga.shape}] vs cpu ${ca.dtype.name}[${ca.shape}]`;
        break;
      }
      const [gv, cv] = [gpu.vals[k], cpu.vals[k]];
      let bad = 0, first = -1, maxErr = 0;
      for (let i = 0; i < cv.length; i++) {
        if (!close(gv[i], cv[i], ca.dtype.name, tol)) {
          if (first < 0) first = i;
          bad++;
        }
        if (Number.isFinite(cv[i])) maxErr = Math.max(maxErr, Math.abs(gv[i] - cv[i]));
      }
      if (bad) msg = `output ${k} (${ca.dtype.name}[${ca.shape}]): ${bad}/${cv.length} differ; first at ${first}: gpu ${gv[first]} cpu ${cv[first]}; max abs err ${maxErr}`;
    }
  }
  if (msg && lib && !strict) {
    results.lib.push(`${name}: ${msg}`);
    if (verbose) console.log(`LIB  ${name}: ${msg}`);
  } else if (msg) {
    results.fail++;
    results.failures.push(`${name}: ${msg}`);
    console.log(`FAIL ${name}: ${msg}`);
  } else {
    results.pass++;
    if (verbose) console.log(`ok   ${name}`);
  }
}

// ---------------------------------------------------------------- cases
const UNARY = ['abs', 'negative', 'sign', 'sqrt', 'rsqrt', 'square', 'reciprocal', 'exp', 'expm1', 'log', 'log1p', 'log2',
  'log10', 'sin', 'cos', 'tan', 'arcsin', 'arccos', 'arctan', 'sinh', 'cosh', 'tanh', 'arcsinh', 'arccosh', 'arctanh',
  'sigmoid', 'erf', 'erfinv', 'floor', 'ceil', 'roundHalfEven', 'isnan', 'isinf', 'isfinite', 'logicalNot', 'bitwiseInvert', 'stopGradient'];
const BINARY = ['add', 'subtract', 'multiply', 'divide', 'floorDivide', 'remainder', 'power', 'maximum', 'minimum', 'arctan2',
  'logaddexp', 'equal', 'notEqual', 'greater', 'greaterEqual', 'less', 'lessEqual', 'logicalAnd', 'logicalOr',
  'bitwiseAnd', 'bitwiseOr', 'bitwiseXor', 'leftShift', 'rightShift'];
const LOOSE = [1e-4, 1e-5]; // transcendental f32 functions (the library's accuracy, not the backend's)

for (const op of UNARY) {
  for (const dt of ALL) {
    const x = rnd([5, 7], dt, { special: true, lo: op.startsWith('arc') && op !== 'arcsinh' ? -1.2 : -3 });
    check(`unary ${op} ${dt}`, () => mx[op](x), LOOSE, true);
  }
}
for (const op of BINARY) {
  for (const dt of ALL) {
    const shift = op.endsWith('Shift');
    const a = rnd([3, 1, 6], dt, { special: true });
    // divisors stay away from 0 for integers (the library's choice, not the backend's)
    const b = shift ? rnd([4, 1], dt, { ints: true, lo: 0, hi: 7 }) : rnd([4, 1], dt, { lo: 1, hi: 5, ints: INTS.includes(dt) });
    check(`binary ${op} ${dt} broadcast`, () => mx[op](a, b), LOOSE, true);
  }
}
check('binary mixed dtypes int8+float16', () => mx.add(rnd([4, 4], 'int8'), rnd([4], 'float16')));
check('binary uint8*int16 promote', () => mx.multiply(rnd([6], 'uint8'), rnd([6], 'int16')));
check('binary weak scalar', () => [mx.add(rnd([4], 'float16'), 1.5), mx.multiply(rnd([4], 'int8'), 3), mx.subtract(7, rnd([3], 'uint8'))]);
check('int8 overflow chain wraps per node', () => mx.greater(mx.add(mx.array([100, -100, 50], 'int8'), mx.array([100, -100, 50], 'int8')), 0));
check('uint8 wrap', () => mx.subtract(mx.array([1, 2, 250], 'uint8'), mx.array([2, 1, 10], 'uint8')));
check('float16 chain rounds per node', () => mx.multiply(mx.add(rnd([64], 'float16'), rnd([64], 'float16')), 3.3));
check('where', () => mx.where(mx.greater(rnd([4, 5]), 0), rnd([4, 5], 'int16'), rnd([5], 'int16')));
check('where packed', () => [mx.where(rnd([9], 'bool'), rnd([9], 'int8'), rnd([9], 'int8')), mx.where(rnd([3, 3], 'bool'), 1.5, rnd([3, 1], 'float16'))]);

// astype between every pair, with NaN/inf/negative/large values
const castSrc = {
  float32: mx.array([0, -0, 1.5, -1.5, 2.7, -2.7, 300.2, -300.7, 70000.5, -70000.5, 3e9, -3e9, 5e9, 1e20, NaN, Infinity, -Infinity, 65504, 65520, 1e-8], 'float32'),
};
for (const from of ALL) castSrc[from] ??= rnd([23], from, { special: true, lo: -400, hi: 400 });
for (const from of ALL) for (const to of ALL) check(`astype ${from}->${to}`, () => mx.astype(castSrc[from], to));

for (const dt of ALL) {
  check(`full ${dt}`, () => [mx.full([3, 5], 2.7, dt), mx.full([7], -1, dt), mx.zeros([2, 3], dt), mx.full([], 300, dt)]);
}
check('full special values', () => [mx.full([3], NaN, 'float16'), mx.full([3], Infinity, 'int32'), mx.full([3], -5, 'uint8'), mx.full([2], 1e10, 'int32')]);
check('arange', () => [mx.arange(10), mx.arange(3, 40, 3), mx.arange(5, -7, -2), mx.arange(0, 1, 0.125), mx.arange(10, 0, -0.5, 'float16'), mx.arange(0, 300, 1, 'uint8'), mx.arange(0.5, 6, 1, 'int32'), mx.arange(-3, 3, 1, 'int8')]);

// views
const base = rnd([4, 5, 6]);
for (const dt of ['float32', 'float16', 'int8', 'bool', 'uint16']) {
  const x = rnd([4, 5, 6], dt);
  check(`transpose ${dt}`, () => [mx.transpose(x, [2, 0, 1]), mx.add(mx.transpose(x, [1, 0, 2]), mx.transpose(x, [1, 0, 2]))]);
  check(`slice negative steps ${dt}`, () => [x.index('::-1', '1:4', '::-2'), x.index(2, '::-3'), mx.flip(x)]);
  check(`broadcast ${dt}`, () => [mx.broadcastTo(x.index(0, 0), [3, 6]), mx.broadcastTo(x.index(':', ':', 0, null), [4, 5, 3])]);
  check(`reshape non-view ${dt}`, () => mx.reshape(mx.transpose(x, [2, 1, 0]), [30, 4]));
  check(`pad ${dt}`, () => [mx.pad(x, [[1, 0], [0, 2], [3, 1]], 'constant', 7), mx.pad(x.index('::-1'), 1)]);
}
check('views over computed', () => [mx.add(mx.transpose(mx.exp(base), [2, 1, 0]), 1), mx.reshape(mx.transpose(mx.multiply(base, 2)), [-1]), mx.sum(mx.pad(mx.tanh(base), 2), 0)], LOOSE);
check('view chains fold', () => mx.add(base.T.index('::-1', 1, '1:'), mx.reshape(base.index(':', 2), [4, 1, 6]).index(':', 0, '::2').T.index(null)));
check('edge pad', () => mx.pad(rnd([3, 4], 'int8'), [[1, 2], [2, 1]], 'edge'));
check('tile/repeat/roll', () => [mx.tile(rnd([2, 3], 'int16'), [2, 2]), mx.repeat(rnd([3], 'uint8'), 3), mx.roll(rnd([4, 5]), 2, 1), mx.roll(rnd([7], 'int8'), -3)]);

// reductions over every axis combination
const combos = (nd) => {
  const out = [];
  for (let m = 1; m < 1 << nd; m++) out.push([...Array(nd).keys()].filter((d) => m & (1 << d)));
  return out;
};
for (const dt of ['float32', 'float16', 'int8', 'int32', 'uint8', 'bfloat16']) {
  const x = rnd([3, 4, 5], dt, { lo: -2, hi: 2, range: [-2, 2] });
  for (const axes of combos(3)) {
    for (const op of ['sum', 'prod', 'max', 'min']) check(`${op} ${dt} axes ${axes}`, () => mx[op](x, axes), dt === 'float32' ? [1e-5, 1e-5] : undefined);
  }
  for (let ax = 0; ax < 3; ax++) check(`argmax/argmin ${dt} axis ${ax}`, () => [mx.argmax(x, ax), mx.argmin(x, ax), mx.argmax(x), mx.argmin(x, ax, true)]);
}
const x4 = rnd([2, 3, 2, 5], 'float32');
for (const axes of combos(4)) check(`sum/max 4d axes ${axes}`, () => [mx.sum(x4, axes), mx.max(x4, axes, true)]);
check('all/any', () => [mx.all(rnd([4, 5], 'bool'), 1), mx.any(rnd([4, 5], 'bool'), 0), mx.all(mx.greater(base, -10)), mx.any(rnd([3, 3], 'int8'))]);
check('sum bool', () => mx.sum(rnd([50], 'bool')));
check('max/min NaN propagate', () => { const a = mx.array([[1, NaN, 3], [4, 5, 6], [NaN, NaN, 1]]); return [mx.max(a, 1), mx.min(a, 1), mx.max(a, 0), mx.argmax(a, 1), mx.argmin(a, 1), mx.argmax(a, 0)]; });
check('argmax ties first index', () => { const a = mx.array([[3, 1, 3, 3], [-Infinity, -Infinity, -Infinity, -Infinity], [2, 2, 2, 2]]); return [mx.argmax(a, 1), mx.argmin(a, 1)]; });
check('reduce over empty axis', () => [mx.sum(mx.zeros([3, 0]), 1), mx.prod(mx.zeros([0, 4], 'int32'), 0), mx.sum(mx.zeros([0]))]);
check('mean/var/logsumexp/softmax', () => [mx.mean(base, [0, 2]), mx.var(base, 1), mx.logsumexp(base, -1), mx.softmax(base, 1)]);
const long = rnd([70000], 'int32', { ints: true, lo: -50, hi: 50 });
const longF = rnd([70000], 'float32', { lo: 0, hi: 1 });
check('sum 70000 int32', () => [mx.sum(long), mx.max(long), mx.argmin(long), mx.argmax(long)]);
check('sum 70000 float32', () => [mx.sum(longF), mx.max(longF), mx.min(longF), mx.argmax(longF), mx.prod(mx.add(mx.multiply(longF, 1e-5), 1))], [2e-5, 1e-4]);
check('sum 70000 x 3 axis 0 strided', () => [mx.sum(mx.reshape(rnd([210000], 'int8'), [70000, 3]), 0), mx.max(mx.reshape(rnd([210000], 'float16'), [70000, 3]), 0)]);
check('sum rows wide/short', () => [mx.sum(rnd([5000, 3], 'int32'), 1), mx.sum(rnd([3, 5000], 'int32'), 1), mx.max(rnd([300, 700], 'float16'), 0)]);
check('reduce 2 passes 1.2M', () => [mx.sum(rnd([1200000], 'int16')), mx.argmax(rnd([1200000], 'float32'))]);

// scans
for (const op of ['cumsum', 'cumprod', 'cummax', 'cummin']) {
  for (const dt of ['float32', 'int32', 'int8', 'uint8', 'float16', 'bool']) {
    // small values: the CPU multiplies in float64, which loses integer bits past 2^53
    const x = op === 'cumprod' ? rnd([3, 4, 5], dt, { lo: 0.5, hi: 1.5, range: [-2, 2] }) : rnd([3, 4, 5], dt, { lo: -3, hi: 3 });
    for (let ax = 0; ax < 3; ax++) {
      for (const [rev, inc] of [[false, true], [true, true], [false, false], [true, false]]) {
        check(`${op} ${dt} axis ${ax} reverse=${rev} inclusive=${inc}`, () => mx[op](x, ax, rev, inc));
      }
    }
  }
}
check('cumsum 70000 int32', () => [mx.cumsum(long), mx.cumsum(long, 0, true, false), mx.cummax(long), mx.cummin(long, 0, true)]);
check('cumsum 70000 float32', () => [mx.cumsum(longF), mx.cummax(longF, 0, true, false)], [1e-4, 1e-3]);
check('scan wide rows (100 x 300) and NaN', () => [mx.cumsum(rnd([100, 300], 'int16'), 1), mx.cummax(mx.array([1, NaN, 3, 0, 5]))]);
check('cumsum flattened', () => mx.cumsum(rnd([3, 4], 'int32')));

// matmul
const mm = (M, K, N, dt = 'float32', bshape = []) => check(`matmul ${[...bshape, M, K]} @ ${[K, N]} ${dt}`, () => mx.matmul(rnd([...bshape, M, K], dt, { lo: -1, hi: 1 }), rnd([K, N], dt, { lo: -1, hi: 1 })), dt === 'float32' ? [1e-4, 1e-5] : undefined);
mm(127, 255, 63);
mm(1, 300, 77);
mm(77, 300, 1);
mm(64, 64, 64);
mm(5, 3, 2, 'int32');
mm(33, 17, 9, 'float16');
mm(7, 70, 5, 'bfloat16');
mm(9, 10, 11, 'int8');
mm(6, 8, 7, 'uint16');
mm(10, 20, 30, 'float32', [3]);
check('matmul transposed/sliced inputs', () => { const a = rnd([40, 30]), b = rnd([50, 40]); return [mx.matmul(a.T, b.T), mx.matmul(a.index('::-2'), b.index(':30', '::-1'))]; }, [1e-4, 1e-5]);
check('matmul batch broadcast + vectors', () => [mx.matmul(rnd([2, 1, 4, 5]), rnd([3, 5, 6])), mx.matmul(rnd([5]), rnd([5, 4])), mx.matmul(rnd([4, 5]), rnd([5])), mx.matmul(rnd([6]), rnd([6]))], [1e-5, 1e-5]);
check('matmul K=0', () => mx.matmul(mx.zeros([3, 0]), mx.zeros([0, 4])));
check('matmul of fused inputs', () => mx.matmul(mx.exp(rnd([20, 30])), mx.add(rnd([30, 10]), 1)), [1e-4, 1e-5]);

// gather
for (const dt of ['float32', 'int8', 'float16', 'bool', 'uint16']) {
  const x = rnd([5, 6, 7], dt);
  const idx = mx.array([0, -1, 3, 10, -20, 2, 2], 'int32');
  for (let ax = 0; ax < 3; ax++) check(`take ${dt} axis ${ax}`, () => [mx.take(x, idx, ax), mx.take(x, mx.reshape(idx.index(':6'), [2, 3]), ax)]);
  check(`index arrays ${dt}`, () => [x.index(mx.array([1, 3]), ':', mx.array([0, 6])), x.index('...', mx.array([[1], [2]])), x.index(1, mx.array([0, 2, 4]))]);
}
check('take flat + uint8 indices', () => [mx.take(rnd([4, 5]), mx.array([19, 0, 7])), mx.take(rnd([300]), mx.array([250, 3], 'uint8'))]);
check('takeAlongAxis', () => { const x = rnd([4, 6]); return mx.takeAlongAxis(x, mx.argmax(x, 1, true), 1); });

// scatter with duplicates
for (const dt of ['float32', 'int32', 'int8', 'float16', 'uint8', 'int16', 'bool', 'bfloat16']) {
  const x = rnd([10], dt, { lo: -3, hi: 3, ints: dt !== 'float32' && dt !== 'float16' && dt !== 'bfloat16' });
  const dup = mx.array([1, 3, 1, 1, 7, 3, -1], 'int32');
  const v = rnd([7], dt, { lo: -2, hi: 2, ints: true });
  check(`scatter add duplicates ${dt}`, () => x.at(dup).add(v));
  check(`scatter max/min duplicates ${dt}`, () => [x.at(dup).maximum(v), x.at(dup).minimum(v)]);
  check(`scatter multiply duplicates ${dt}`, () => x.at(dup).multiply(v));
  check(`scatter set unique ${dt}`, () => x.at(mx.array([0, 9, 4], 'int32')).set(v.index(':3')));
}
check('scatter many duplicates', () => mx.zeros([4], 'int32').at(mx.remainder(mx.arange(10000), 4)).add(1));
check('scatter 2d + sliceUpdate + putAlongAxis', () => { const x = rnd([4, 5], 'int16'); return [x.at(1, mx.array([0, 2, 2])).add(5), mx.sliceUpdate(x, mx.ones([2, 2], 'int16'), [1, 3]), mx.putAlongAxis(x, mx.array([[0], [4], [2], [2]]), 9, 1), x.at('::2', 1).set(-3)]; });

// concatenate
for (const dt of ['float32', 'int8', 'float16', 'bool']) {
  const parts = [rnd([2, 3], dt), rnd([2, 1], dt), rnd([2, 5], dt)];
  check(`concatenate ${dt}`, () => [mx.concatenate(parts, 1), mx.concatenate([rnd([1, 3], dt), rnd([4, 3], dt)], 0), mx.stack([parts[0], parts[0]], 1)]);
}
check('concatenate 30 inputs', () => mx.concatenate(Array.from({ length: 30 }, (_, i) => mx.full([2, i % 3 + 1], i, 'int8')), 1));
check('concatenate computed + split', () => [mx.concatenate([mx.exp(rnd([2, 2])), rnd([2, 2]).T], 0), ...mx.split(rnd([6, 4], 'uint8'), 3, 0)]);

// random
check('random bits/uniform/normal', () => { const k = mx.random.key(7); return [mx.random.bits([5, 3], { key: k }), mx.random.bits([7], { key: k }), mx.random.uniform(0, 1, [100], 'float32', { key: k }), mx.random.normal([64], 'float32', 0, 1, { key: mx.random.key(3) }), ...mx.random.split(k, 3)]; }, [1e-5, 1e-5]);
check('random randint/bernoulli/categorical', () => { const k = mx.random.key(11); return [mx.random.randint(0, 10, [50], 'int32', { key: k }), mx.random.bernoulli(0.3, [40], { key: k }), mx.random.categorical(mx.log(mx.array([[0.1, 0.6, 0.3]])), -1, { key: k, numSamples: 20 })]; });

// scalars, empty arrays, device mixing, needed views
check('scalars', () => [mx.add(mx.array(3, 'int8'), 4), mx.exp(mx.array(1.5, 'float16')), mx.sum(mx.array(2.5)), mx.array(true)]);
check('empty arrays', () => [mx.add(mx.zeros([0, 3]), 1), mx.exp(mx.zeros([3, 0], 'float16')), mx.zeros([0], 'int8').index('::-1'), mx.concatenate([mx.zeros([0, 2]), rnd([3, 2])], 0), mx.take(rnd([3, 4]), mx.zeros([0], 'int32'), 1)]);
check('needed views share storage', () => { const y = mx.exp(base); return [y, y.T, y.index('::-1', 2), mx.reshape(y, [20, 6]), mx.broadcastTo(y.index(0, 0), [2, 6])]; });
check('needed packed views', () => { const y = mx.sum(rnd([4, 5, 6], 'int8'), 2); return [y, y.T, mx.cumsum(rnd([3, 4], 'float16'), 1).index('::-1')]; });
check('cpu stream inside gpu graph', () => { const a = mx.exp(base, { stream: mx.cpu }); return mx.add(mx.sum(a, 0), mx.sum(mx.log(mx.add(base, 4)), 0, false, { stream: mx.cpu })); });
check('shared subexpression', () => { const y = mx.exp(base); return mx.add(mx.sum(y, 0), mx.max(y, 0)); });
check('deep fused chain', () => { let y = base; for (let i = 0; i < 40; i++) y = mx.add(mx.multiply(y, 0.9), mx.sin(y)); return y; }, [1e-4, 1e-5]);
check('wide fused (many leaves)', () => { const xs = Array.from({ length: 20 }, () => rnd([16])); return xs.reduce((a, b) => mx.add(a, b)); });
check('large elementwise 2-D grid (70000 workgroups)', () => mx.add(mx.arange(256 * 70000 + 5, undefined, undefined, 'uint32'), 1));

// ---------------------------------------------------------------- run
const t0 = Date.now();
const dev = await mx.gpu.init();
const feats = [...dev.features].filter((f) => ['shader-f16', 'subgroups', 'timestamp-query'].includes(f));
console.log(`[${runtime}] device features: ${feats.join(', ') || '(none)'}; ${cases.length} cases`);
for (const c of cases) if (!only || c.name.includes(only)) await runCase(c);

// memory is returned: a run's temporaries go back to the pool, disposed arrays free
// (finalizers of dropped arrays may run meanwhile, which only lowers the numbers)
await (async () => {
  const x = mx.array(new Float32Array(100000).map((_, i) => (i % 17) / 17));
  const before = mx.getActiveMemory();
  const y = mx.sum(mx.exp(mx.multiply(mx.reshape(x, [1000, 100]), 2)), 1);
  await mx.eval(y);
  const mid = mx.getActiveMemory();
  y.dispose();
  x.dispose();
  const after = mx.getActiveMemory();
  // x's GPU copy and y stay; no temporary outlives the run; both copies of x go
  const okMem = mid - before <= 400000 + 4000 && after - before <= -400000;
  mx.setCacheLimit(0);
  const emptied = mx.getCacheMemory() === 0;
  mx.setCacheLimit(Infinity);
  console.log(`[${runtime}] memory: +${mid - before} after the run, ${after - before} after dispose; cache emptied at limit 0: ${emptied}`);
  if (!okMem || !emptied) {
    results.fail++;
    results.failures.push(`memory accounting: +${mid - before} after the run, ${after - before} after dispose, cache emptied ${emptied}`);
  } else results.pass++;
})();

console.log(`[${runtime}] ${results.pass} passed, ${results.fail} failed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
for (const f of results.failures) console.log('  ' + f);
if (results.lib.length) {
  console.log(`[${runtime}] ${results.lib.length} elementwise-library differences (ops/defs, elementwise.wgsl, WGSL builtins; --strict fails on them):`);
  for (const f of results.lib) console.log('  ' + f);
}
// device loss becomes a thrown Error naming the op (this ends the GPU for this process)
if (!only) {
  dev.destroy();
  await new Promise((r) => setTimeout(r, 50));
  let msg = '';
  try {
    await mx.eval(mx.add(mx.array([1, 2]), 1));
  } catch (e) {
    msg = e.message;
  }
  const ok = /^\[gpu\] running .*\badd\b.*lost/.test(msg);
  console.log(`[${runtime}] after device.destroy(): ${ok ? 'ok' : 'FAIL'}: ${msg || 'no error'}`);
  if (!ok) results.fail++;
}
// no adapter: a clear error (Node: dawn.node pointed at a missing Vulkan driver)
if (isNode && !only) {
  const { spawnSync } = await import('node:child_process');
  const code = `import(${JSON.stringify(BUNDLE.href)}).then(async (mx) => { try { await mx.gpu.init(); console.log('no error'); } catch (e) { console.log(e.message); } process.exit(0); })`;
  const env = { ...process.env, VK_ICD_FILENAMES: '/nonexistent.json' };
  delete env.VK_DRIVER_FILES;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env, encoding: 'utf8' });
  const ok = /^\[gpu\] No WebGPU adapter found/.test(r.stdout);
  console.log(`[node] without an adapter: ${ok ? 'ok' : 'FAIL'}: ${r.stdout.trim()}`);
  if (!ok) results.fail++;
}
let code = results.fail ? 1 : 0;
if (!isNode) globalThis.__compareDone = code;

if (isNode && args.includes('--chromium')) {
  const c = await runChromium();
  code ||= c;
}
if (isNode && args.includes('--deno')) {
  const { spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const deno = fileURLToPath(new URL('../../node_modules/@deno/linux-x64-glibc/deno', import.meta.url));
  const r = spawnSync(deno, ['run', '-A', fileURLToPath(import.meta.url), ...args.filter((a) => a !== '--deno')], { stdio: 'inherit', env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } });
  code ||= r.status ?? 1;
}
if (isDeno) Deno.exit(code);
else if (isNode) process.exit(code);

/** Serves the repo on 127.0.0.1 and runs this file in a Chromium page (SwiftShader WebGPU). */
async function runChromium() {
  const http = await import('node:http');
  const { readFile } = await import('node:fs/promises');
  const { fileURLToPath } = await import('node:url');
  const { chromium } = await import('playwright-core');
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const server = http.createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><script type="module" src="/test/gpu/compare.mjs"></script>');
      return;
    }
    try {
      const body = await readFile(root + path.slice(1));
      res.writeHead(200, { 'content-type': path.endsWith('.html') ? 'text/html' : 'text/javascript' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-webgpu-adapter=swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => console.log(m.text()));
    page.on('pageerror', (e) => console.log('[chromium] page error: ' + e.message));
    const q = args.filter((a) => a.startsWith('--only=') || a === '--verbose' || a === '--strict').map((a) => 'arg=' + encodeURIComponent(a)).join('&');
    await page.goto(`http://127.0.0.1:${server.address().port}/?${q}`);
    await page.waitForFunction(() => globalThis.__compareDone !== undefined, null, { timeout: 900_000, polling: 500 });
    return await page.evaluate(() => globalThis.__compareDone);
  } finally {
    await browser.close();
    server.close();
  }
}
