// Unary elementwise ops against NumPy (test/fixtures/unary.gen.ts), plus method forms.
import { suite } from '../harness/suite.ts';
import { assertClose, assertEqual } from '../harness/assert.ts';
import fixture from '../fixtures/unary.gen.ts';
import { mx, arr, fixtureTests, onDevice, nums, type Adapter, type MxArray } from './common.ts';

type U = (x: MxArray) => MxArray;
const UNARY: Record<string, U> = {
  abs: mx.abs, negative: mx.negative, sign: mx.sign, sqrt: mx.sqrt, rsqrt: mx.rsqrt, square: mx.square,
  reciprocal: mx.reciprocal, exp: mx.exp, expm1: mx.expm1, log: mx.log, log1p: mx.log1p, log2: mx.log2,
  log10: mx.log10, sin: mx.sin, cos: mx.cos, tan: mx.tan, arcsin: mx.arcsin, arccos: mx.arccos,
  arctan: mx.arctan, sinh: mx.sinh, cosh: mx.cosh, tanh: mx.tanh, arcsinh: mx.arcsinh, arccosh: mx.arccosh,
  arctanh: mx.arctanh, sigmoid: mx.sigmoid, erf: mx.erf, erfinv: mx.erfinv, floor: mx.floor, ceil: mx.ceil,
  isnan: mx.isnan, isinf: mx.isinf, isfinite: mx.isfinite, logicalNot: mx.logicalNot,
  bitwiseInvert: mx.bitwiseInvert, stopGradient: mx.stopGradient,
};

const adapters: Record<string, Adapter> = {
  ...Object.fromEntries(Object.entries(UNARY).map(([op, f]) => [op, ((xs) => f(arr(xs[0]))) as Adapter])),
  round: (xs, a) => mx.round(arr(xs[0]), (a.decimals as number | undefined) ?? 0),
  nanToNum: (xs, a) =>
    mx.nanToNum(arr(xs[0]), (a.nan as number | undefined) ?? 0, a.posinf as number | undefined, a.neginf as number | undefined),
};

export const unarySuite = suite('unary', (t) => {
  const test = onDevice(t);
  fixtureTests(test, fixture.cases, adapters);

  test('method forms match the functions', async () => {
    const x = mx.array([0.5, 1.5, 2.25, 4]);
    const pairs: [MxArray, MxArray][] = [
      [x.abs(), mx.abs(x)], [x.negative(), mx.negative(x)], [x.exp(), mx.exp(x)], [x.log(), mx.log(x)],
      [x.sqrt(), mx.sqrt(x)], [x.rsqrt(), mx.rsqrt(x)], [x.square(), mx.square(x)], [x.reciprocal(), mx.reciprocal(x)],
      [x.sin(), mx.sin(x)], [x.cos(), mx.cos(x)], [x.log1p(), mx.log1p(x)], [x.sigmoid(), mx.sigmoid(x)],
      [x.round(), mx.round(x)],
    ];
    await mx.eval(...pairs.flat());
    for (const [a, b] of pairs) assertClose(await nums(a), await nums(b), { rtol: 0, atol: 0 });
  });

  test('functions accept JS numbers and nested lists', async () => {
    const a = mx.exp(0);
    const b = mx.abs([[-1, 2], [3, -4]]);
    const c = mx.sqrt(4);
    await mx.eval(a, b, c);
    assertEqual(a.dtype, mx.float32);
    assertEqual(await a.item(), 1);
    assertEqual(b.dtype, mx.int32);
    assertEqual(await b.tolist(), [[1, 2], [3, 4]]);
    assertEqual(c.dtype, mx.float32, 'sqrt of an int scalar is float32');
    assertEqual(await c.item(), 2);
  });

  test('chained unary ops on a lazy graph', async () => {
    const x = mx.array([[0.1, 0.2], [0.3, 0.4]]);
    const y = mx.log(mx.exp(mx.sin(mx.arcsin(x))));
    // four float32 transcendentals in a row: 1e-4 each
    assertClose(await y.tolist() as number[][], [[0.1, 0.2], [0.3, 0.4]], { rtol: 5e-4, atol: 1e-6 });
  });

  test('a unary op reading the same input twice in one eval', async () => {
    const x = mx.array([1, 2, 3], mx.float32);
    const a = mx.exp(x), b = mx.negative(x), c = mx.add(a, b);
    await mx.eval(a, b, c);
    assertClose(await nums(c), [Math.E - 1, Math.exp(2) - 2, Math.exp(3) - 3], { rtol: 1e-5 });
    assertClose(await nums(b), [-1, -2, -3], { rtol: 0, atol: 0 });
  });
});
