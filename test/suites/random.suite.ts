// mx.random: statistical checks only (moments, ranges, frequencies), determinism with
// the same key, different streams for split keys, permutations. Every draw uses an
// explicit key, so each case is deterministic (no flaky thresholds).
import { suite } from '../harness/suite.ts';
import { assert, assertEqual, assertShape, assertThrows } from '../harness/assert.ts';
import { mx, nums, onDevice } from './common.ts';

const N = 10000;
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const variance = (v: number[]) => {
  const m = mean(v);
  return v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length;
};
function near(got: number, want: number, tol: number, what: string): void {
  assert(Math.abs(got - want) <= tol, `${what}: ${got}, expected ${want} +- ${tol}`);
}

export const randomSuite = suite('random', (t) => {
  const test = onDevice(t);

  test('key and split', async () => {
    const k = mx.random.key(42);
    assertShape(k, [2]);
    assertEqual(k.dtype, mx.uint32);
    const [a, b] = mx.random.split(k);
    const three = mx.random.split(k, 3);
    assertEqual(three.length, 3);
    await mx.eval(a, b, ...three);
    for (const s of [a, b, ...three]) {
      assertShape(s, [2]);
      assertEqual(s.dtype, mx.uint32);
    }
    assert(JSON.stringify(await a.tolist()) !== JSON.stringify(await b.tolist()), 'split keys differ');
    assertEqual(await mx.random.key(42).tolist(), await k.tolist());
    assert(JSON.stringify(await mx.random.key(43).tolist()) !== JSON.stringify(await k.tolist()), 'seeds give different keys');
  });

  test('the same key gives the same samples, split keys different ones', async () => {
    const k = mx.random.key(7);
    const [k1, k2] = mx.random.split(k);
    const draws = [
      mx.random.uniform(0, 1, [64], mx.float32, { key: k1 }),
      mx.random.uniform(0, 1, [64], mx.float32, { key: k1 }),
      mx.random.uniform(0, 1, [64], mx.float32, { key: k2 }),
      mx.random.normal([64], mx.float32, 0, 1, { key: k1 }),
      mx.random.normal([64], mx.float32, 0, 1, { key: k1 }),
      mx.random.randint(0, 100, [64], mx.int32, { key: k2 }),
      mx.random.randint(0, 100, [64], mx.int32, { key: k2 }),
      mx.random.bits([64], { key: k1 }),
      mx.random.bits([64], { key: k1 }),
    ];
    await mx.eval(...draws);
    const v = await Promise.all(draws.map(nums));
    assertEqual(v[0], v[1], 'uniform, same key');
    assert(v[0].some((x, i) => x !== v[2][i]), 'uniform, split keys differ');
    assertEqual(v[3], v[4], 'normal, same key');
    assertEqual(v[5], v[6], 'randint, same key');
    assertEqual(v[7], v[8], 'bits, same key');
    assertEqual(new Set(v[0]).size > 60, true, 'uniform values are distinct');
  });

  test('seed makes the global stream reproducible', async () => {
    mx.random.seed(123);
    const a = mx.random.uniform(0, 1, [16]);
    const b = mx.random.uniform(0, 1, [16]);
    mx.random.seed(123);
    const c = mx.random.uniform(0, 1, [16]);
    await mx.eval(a, b, c);
    const [va, vb, vc] = await Promise.all([a, b, c].map(nums));
    assertEqual(va, vc, 'same seed, same first draw');
    assert(va.some((x, i) => x !== vb[i]), 'consecutive draws differ');
  });

  test('uniform: range, dtype and moments', async () => {
    const key = mx.random.key(1);
    const u = mx.random.uniform(-2, 3, [N], mx.float32, { key });
    const h = mx.random.uniform(0, 1, [N], mx.float16, { key });
    const b = mx.random.uniform(mx.array([[0], [-10]]), mx.array([1, 2, 3]), [2, 3], mx.float32, { key });
    const d = mx.random.uniform(0, 1, [], mx.float32, { key });
    await mx.eval(u, h, b, d);
    assertEqual(u.dtype, mx.float32);
    assertEqual(h.dtype, mx.float16);
    assertShape(b, [2, 3]);
    assertShape(d, []);
    const v = await nums(u);
    assert(v.every((x) => x >= -2 && x < 3), 'uniform in [-2, 3)');
    near(mean(v), 0.5, 0.075, 'mean of U(-2,3)');
    near(variance(v), 25 / 12, 0.1, 'variance of U(-2,3)');
    const hv = await nums(h);
    assert(hv.every((x) => x >= 0 && x < 1), 'float16 uniform in [0, 1): rounding must not reach high');
    near(mean(hv), 0.5, 0.015, 'mean of float16 U(0,1)');
    const bv = await nums(b);
    const lo = [0, 0, 0, -10, -10, -10], hi = [1, 2, 3, 1, 2, 3];
    bv.forEach((x, i) => assert(x >= lo[i] && x < hi[i], `broadcast bounds element ${i}: ${x}`));
  });

  test('normal: moments, loc/scale and dtype', async () => {
    const key = mx.random.key(2);
    const z = mx.random.normal([N], mx.float32, 0, 1, { key });
    const s = mx.random.normal([N], mx.float32, 3, 0.5, { key: mx.random.key(3) });
    const h = mx.random.normal([100], mx.bfloat16, 0, 1, { key });
    await mx.eval(z, s, h);
    const v = await nums(z);
    near(mean(v), 0, 0.05, 'mean of N(0,1)');
    near(Math.sqrt(variance(v)), 1, 0.04, 'std of N(0,1)');
    near(v.filter((x) => Math.abs(x) < 1).length / N, 0.6827, 0.025, 'mass within one sigma');
    assert(v.every(Number.isFinite), 'normal samples are finite');
    const sv = await nums(s);
    near(mean(sv), 3, 0.025, 'mean of N(3, 0.5)');
    near(Math.sqrt(variance(sv)), 0.5, 0.02, 'std of N(3, 0.5)');
    assertEqual(h.dtype, mx.bfloat16);
  });

  test('randint: range, all values hit, dtype', async () => {
    const r = mx.random.randint(-3, 4, [N], mx.int32, { key: mx.random.key(4) });
    const u = mx.random.randint(0, 256, [1000], mx.uint8, { key: mx.random.key(5) });
    await mx.eval(r, u);
    assertEqual(r.dtype, mx.int32);
    assertEqual(u.dtype, mx.uint8);
    const v = await nums(r);
    assert(v.every((x) => Number.isInteger(x) && x >= -3 && x < 4), 'randint in [-3, 4)');
    const counts = new Map<number, number>();
    for (const x of v) counts.set(x, (counts.get(x) ?? 0) + 1);
    assertEqual([...counts.keys()].sort((a, b) => a - b), [-3, -2, -1, 0, 1, 2, 3]);
    for (const [k, c] of counts) near(c / N, 1 / 7, 0.02, `frequency of ${k}`);
    const uv = await nums(u);
    assert(uv.every((x) => x >= 0 && x <= 255), 'uint8 randint range');
    near(mean(uv), 127.5, 12, 'mean of randint(0, 256)');
  });

  test('bernoulli: frequency, bool dtype, p arrays', async () => {
    const b = mx.random.bernoulli(0.3, [N], { key: mx.random.key(6) });
    const z = mx.random.bernoulli(0, [100], { key: mx.random.key(6) });
    const o = mx.random.bernoulli(1, [100], { key: mx.random.key(6) });
    const p = mx.random.bernoulli(mx.array([[0.0], [1.0]]), undefined, { key: mx.random.key(7) });
    await mx.eval(b, z, o, p);
    assertEqual(b.dtype, mx.bool);
    near(mean(await nums(b)), 0.3, 0.025, 'bernoulli(0.3) frequency');
    assertEqual((await nums(z)).every((x) => x === 0), true, 'p=0 gives all false');
    assertEqual((await nums(o)).every((x) => x === 1), true, 'p=1 gives all true');
    assertShape(p, [2, 1]);
    assertEqual(await p.tolist(), [[false], [true]]);
  });

  test('categorical: frequencies follow softmax(logits); -inf never drawn', async () => {
    const probs = [0.2, 0.3, 0.5, 0];
    const logits = mx.array([probs.map((q) => Math.log(q))]);
    const s = mx.random.categorical(logits, -1, { numSamples: 5000, key: mx.random.key(8) });
    const sh = mx.random.categorical(mx.array([[0, 0], [0, -Infinity]]), 1, { shape: [4, 2], key: mx.random.key(9) });
    await mx.eval(s, sh);
    assertShape(s, [1, 5000]);
    assertEqual(s.dtype, mx.uint32);
    const v = await nums(s);
    for (let c = 0; c < 4; c++) near(v.filter((x) => x === c).length / 5000, probs[c], 0.03, `frequency of class ${c}`);
    assertShape(sh, [4, 2]);
    const shv = (await sh.tolist()) as number[][];
    assert(shv.every((row) => row[1] === 0), 'a row with one finite logit always draws it');
  });

  test('truncatedNormal stays inside the bounds', async () => {
    const x = mx.random.truncatedNormal(-1, 2, [N], mx.float32, { key: mx.random.key(10) });
    const y = mx.random.truncatedNormal(mx.array([-0.5, 0]), mx.array([0.5, 3]), [1000, 2], mx.float32, { key: mx.random.key(11) });
    await mx.eval(x, y);
    const v = await nums(x);
    assert(v.every((a) => a >= -1 && a <= 2), 'in [-1, 2]');
    // mean of N(0,1) truncated to [-1, 2]: (phi(-1) - phi(2)) / (Phi(2) - Phi(-1)) = 0.2297
    near(mean(v), 0.2297, 0.03, 'mean of the truncated normal');
    const yv = (await y.tolist()) as number[][];
    assert(yv.every(([a, b]) => a >= -0.5 && a <= 0.5 && b >= 0 && b <= 3), 'per-column bounds broadcast');
  });

  test('gumbel moments', async () => {
    const g = mx.random.gumbel([N], mx.float32, { key: mx.random.key(12) });
    const v = await nums(g);
    near(mean(v), 0.5772, 0.04, 'mean of Gumbel(0,1) (Euler gamma)');
    near(variance(v), (Math.PI ** 2) / 6, 0.12, 'variance of Gumbel(0,1)');
  });

  test('bits: uint32 values spread over the range', async () => {
    const b = mx.random.bits([2, 2500], { key: mx.random.key(13) });
    assertShape(b, [2, 2500]);
    assertEqual(b.dtype, mx.uint32);
    const v = await nums(b);
    near(mean(v) / 2 ** 32, 0.5, 0.02, 'mean of bits / 2^32');
    assert(v.some((x) => x >= 2 ** 31) && v.some((x) => x < 2 ** 16 * 2 ** 15), 'high and low halves both occur');
  });

  test('permutation is a permutation', async () => {
    const p = mx.random.permutation(100, 0, { key: mx.random.key(14) });
    const q = mx.random.permutation(100, 0, { key: mx.random.key(15) });
    const rows = mx.reshape(mx.arange(12), [4, 3]);
    const pr = mx.random.permutation(rows, 0, { key: mx.random.key(16) });
    const pc = mx.random.permutation(rows, 1, { key: mx.random.key(16) });
    await mx.eval(p, q, pr, pc);
    const pv = await nums(p);
    assertEqual([...pv].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
    assert(pv.some((x, i) => x !== i), 'not the identity');
    assert(JSON.stringify(pv) !== JSON.stringify(await nums(q)), 'different keys, different permutations');
    const prv = (await pr.tolist()) as number[][];
    assertEqual(prv.map((r) => r[0]).sort((a, b) => a - b), [0, 3, 6, 9]);
    assert(prv.every((r) => r[1] === r[0] + 1 && r[2] === r[0] + 2), 'rows move whole');
    const pcv = (await pc.tolist()) as number[][];
    assert(pcv.every((r, i) => [...r].sort((a, b) => a - b).join() === [3 * i, 3 * i + 1, 3 * i + 2].join()), 'columns permuted within rows');
  });

  test('bad keys and dtypes throw', () => {
    assertThrows(() => mx.random.key(-1), /\[random\.key\]/);
    assertThrows(() => mx.random.uniform(0, 1, [2], mx.float32, { key: mx.array([1, 2, 3], mx.uint32) }), /\[random\]/);
    assertThrows(() => mx.random.uniform(0, 1, [2], mx.int32), /\[random\.uniform\]/);
    assertThrows(() => mx.random.normal([2], mx.int32), /\[random\.normal\]/);
    assertThrows(() => mx.random.randint(0, 5, [2], mx.float32), /\[random\.randint\]/);
  });
});
