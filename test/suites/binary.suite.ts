// Binary and ternary elementwise ops against NumPy (test/fixtures/binary.gen.ts):
// dtypes, MLX promotion and weak JS scalars, broadcasting, views, special values.
import { suite } from '../harness/suite.ts';
import { assertClose, assertEqual } from '../harness/assert.ts';
import fixture from '../fixtures/binary.gen.ts';
import { mx, arr, fixtureTests, onDevice, nums, type Adapter, type Input, type MxArray } from './common.ts';

type B = (a: Input, b: Input) => MxArray;
const BINARY: Record<string, B> = {
  add: mx.add, subtract: mx.subtract, multiply: mx.multiply, divide: mx.divide, floorDivide: mx.floorDivide,
  remainder: mx.remainder, power: mx.power, maximum: mx.maximum, minimum: mx.minimum, arctan2: mx.arctan2,
  logaddexp: mx.logaddexp, equal: mx.equal, notEqual: mx.notEqual, greater: mx.greater,
  greaterEqual: mx.greaterEqual, less: mx.less, lessEqual: mx.lessEqual, logicalAnd: mx.logicalAnd,
  logicalOr: mx.logicalOr, bitwiseAnd: mx.bitwiseAnd, bitwiseOr: mx.bitwiseOr, bitwiseXor: mx.bitwiseXor,
  leftShift: mx.leftShift, rightShift: mx.rightShift,
};

const adapters: Record<string, Adapter> = {
  ...Object.fromEntries(Object.entries(BINARY).map(([op, f]) => [op, ((xs) => f(xs[0], xs[1])) as Adapter])),
  where: (xs) => mx.where(xs[0], xs[1], xs[2]),
  clip: (xs, a) => {
    if (a.bounds === 'min') return mx.clip(xs[0], xs[1], null);
    if (a.bounds === 'max') return mx.clip(xs[0], null, xs[1]);
    return mx.clip(xs[0], xs[1], xs[2]);
  },
  isclose: (xs, a) => mx.isclose(xs[0], xs[1], a.rtol as number, a.atol as number, a.equalNan as boolean),
  allclose: (xs, a) => mx.allclose(xs[0], xs[1], a.rtol as number, a.atol as number, a.equalNan as boolean),
  arrayEqual: (xs, a) => mx.arrayEqual(xs[0], xs[1], a.equalNan as boolean),
};

export const binarySuite = suite('binary', (t) => {
  const test = onDevice(t);
  fixtureTests(test, fixture.cases, adapters);

  test('method forms match the functions', async () => {
    const a = mx.array([[1.5, -2], [3, 4.25]]);
    const b = mx.array([2, -0.5]);
    const pairs: [MxArray, MxArray][] = [
      [a.add(b), mx.add(a, b)], [a.subtract(b), mx.subtract(a, b)], [a.multiply(b), mx.multiply(a, b)],
      [a.divide(b), mx.divide(a, b)], [a.power(2), mx.power(a, 2)], [a.floorDivide(b), mx.floorDivide(a, b)],
      [a.remainder(b), mx.remainder(a, b)], [a.maximum(b), mx.maximum(a, b)], [a.minimum(b), mx.minimum(a, b)],
      [a.equal(b), mx.equal(a, b)], [a.notEqual(b), mx.notEqual(a, b)], [a.greater(b), mx.greater(a, b)],
      [a.greaterEqual(b), mx.greaterEqual(a, b)], [a.less(b), mx.less(a, b)], [a.lessEqual(b), mx.lessEqual(a, b)],
    ];
    await mx.eval(...pairs.flat());
    for (const [x, y] of pairs) {
      assertEqual(x.dtype, y.dtype);
      assertClose(await nums(x), await nums(y), { rtol: 0, atol: 0 });
    }
  });

  test('operands may be nested lists and typed arrays', async () => {
    const a = mx.add([[1, 2], [3, 4]], [10, 20]);
    const b = mx.multiply(new Float32Array([1.5, 2.5]), 2);
    const c = mx.subtract(mx.array([5, 6], mx.uint8), new Uint8Array([1, 2]));
    await mx.eval(a, b, c);
    assertEqual(a.dtype, mx.int32);
    assertEqual(await a.tolist(), [[11, 22], [13, 24]]);
    assertEqual(b.dtype, mx.float32);
    assertEqual(await b.tolist(), [3, 5]);
    assertEqual(c.dtype, mx.uint8);
    assertEqual(await c.tolist(), [4, 4]);
  });

  test('a long chain of broadcasting ops in one graph', async () => {
    const x = mx.reshape(mx.arange(12, undefined, undefined, mx.float32), [3, 4]);
    let y: MxArray = x;
    for (let i = 0; i < 20; i++) y = mx.add(mx.multiply(y, 0.5), mx.reshape(mx.arange(4, undefined, undefined, mx.float32), [1, 4]));
    const got = await nums(y);
    const want: number[] = [];
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 4; c++) {
        let v = r * 4 + c;
        for (let i = 0; i < 20; i++) v = Math.fround(Math.fround(v * 0.5) + c);
        want.push(v);
      }
    }
    assertClose(got, want, { rtol: 1e-6 });
  });

  test('the same array on both sides', async () => {
    const x = mx.array([1, -2, 3], mx.int32);
    const y = mx.multiply(x, x), z = mx.subtract(x, x), w = mx.equal(x, x);
    assertEqual(await Promise.all([y.tolist(), z.tolist(), w.tolist()]), [[1, 4, 9], [0, 0, 0], [true, true, true]]);
  });

  test('where with all JS scalars and a bool array', async () => {
    const c = mx.array([true, false, true]);
    const r = mx.where(c, 1, 2);
    const f = mx.where(c, 1.5, 2);
    await mx.eval(r, f);
    assertEqual(r.dtype, mx.int32);
    assertEqual(await r.tolist(), [1, 2, 1]);
    assertEqual(f.dtype, mx.float32);
    assertEqual(await f.tolist(), [1.5, 2, 1.5]);
  });

  test('comparisons against JS scalars keep the array dtype for the comparison', async () => {
    // 0.5 is weakly typed: compared in float32 for an int32 array (MLX promotes to float32).
    const x = mx.array([0, 1, 2], mx.int32);
    const g = mx.greater(x, 0.5);
    const u = mx.less(mx.array([200, 5], mx.uint8), 100);
    assertEqual(await Promise.all([g.tolist(), u.tolist()]), [[false, true, true], [false, true]]);
  });

  test('logaddexp is stable for large inputs', async () => {
    const r = mx.logaddexp(mx.array([1000, -1000, 88.5]), mx.array([1000, -1000, 88.5]));
    assertClose(await nums(r), [1000 + Math.LN2, -1000 + Math.LN2, 88.5 + Math.LN2], { rtol: 1e-6 });
  });
});
