// Array creation (zeros ones full *Like arange linspace eye identity tri tril triu
// meshgrid) against NumPy (creation.gen.ts), plus mx.array from JS data.
import { suite } from '../harness/suite.ts';
import { assertEqual, assertShape, assertThrows } from '../harness/assert.ts';
import fixture from '../fixtures/creation.gen.ts';
import type { DtypeName } from '../fixtures/types.ts';
import { mx, arr, fixtureTests, onDevice, type Adapter, type Args } from './common.ts';

const dt = (a: Args): DtypeName | undefined => (a.dtype as DtypeName | null | undefined) ?? undefined;
const opt = (a: Args, k: string): number | undefined => (a[k] as number | null | undefined) ?? undefined;
type Shape = number | number[];

const adapters: Record<string, Adapter> = {
  zeros: (_xs, a) => mx.zeros(a.shape as Shape, dt(a)),
  ones: (_xs, a) => mx.ones(a.shape as Shape, dt(a)),
  full: (xs, a) => mx.full(a.shape as Shape, xs.length ? xs[0] : (a.value as number | boolean), dt(a)),
  zerosLike: (xs) => mx.zerosLike(arr(xs[0])),
  onesLike: (xs) => mx.onesLike(arr(xs[0])),
  fullLike: (xs, a) => mx.fullLike(arr(xs[0]), a.value as number, dt(a)),
  arange: (_xs, a) => {
    if (a.stop === undefined && a.dtype === undefined) return mx.arange(a.start as number);
    return mx.arange(a.start as number, opt(a, 'stop'), opt(a, 'step'), dt(a));
  },
  linspace: (_xs, a) => mx.linspace(a.start as number, a.stop as number, a.num as number, dt(a)),
  eye: (_xs, a) => mx.eye(a.n as number, opt(a, 'm'), opt(a, 'k'), dt(a)),
  identity: (_xs, a) => mx.identity(a.n as number, dt(a)),
  tri: (_xs, a) => mx.tri(a.n as number, opt(a, 'm'), opt(a, 'k'), dt(a)),
  tril: (xs, a) => mx.tril(xs[0], a.k as number),
  triu: (xs, a) => mx.triu(xs[0], a.k as number),
  meshgrid: (xs, a) => mx.meshgrid(xs, { indexing: a.indexing as 'xy' | 'ij', sparse: a.sparse as boolean }),
};

export const creationSuite = suite('creation', (t) => {
  const test = onDevice(t);
  fixtureTests(test, fixture.cases, adapters);

  test('mx.array infers shape and dtype from JS data', async () => {
    const cases: [mx.MxArray, number[], mx.Dtype, unknown][] = [
      [mx.array(3), [], mx.int32, 3],
      [mx.array(2.5), [], mx.float32, 2.5],
      [mx.array(true), [], mx.bool, true],
      [mx.array([1, 2, 3]), [3], mx.int32, [1, 2, 3]],
      [mx.array([1, 2.5]), [2], mx.float32, [1, 2.5]],
      [mx.array([[true, false]]), [1, 2], mx.bool, [[true, false]]],
      [mx.array([[[1], [2]], [[3], [4]]]), [2, 2, 1], mx.int32, [[[1], [2]], [[3], [4]]]],
      [mx.array([]), [0], mx.float32, []],
      [mx.array([[], []]), [2, 0], mx.float32, [[], []]],
      [mx.array(new Float32Array([0.5, 1.5])), [2], mx.float32, [0.5, 1.5]],
      [mx.array(new Int8Array([-1, 2])), [2], mx.int8, [-1, 2]],
      [mx.array(new Uint8Array([255])), [1], mx.uint8, [255]],
      [mx.array(new Uint16Array([65535])), [1], mx.uint16, [65535]],
      [mx.array(new Int16Array([-32768])), [1], mx.int16, [-32768]],
      [mx.array(new Uint32Array([4294967295])), [1], mx.uint32, [4294967295]],
      [mx.array(new Int32Array([-7])), [1], mx.int32, [-7]],
      [mx.array([1, 2], mx.float16), [2], mx.float16, [1, 2]],
      [mx.array([1.7, -1.7], 'int32'), [2], mx.int32, [1, -1]],
      [mx.array([0.1], 'bfloat16'), [1], mx.bfloat16, [0.10009765625]],
      [mx.array([0, 2], mx.bool), [2], mx.bool, [false, true]],
    ];
    await mx.eval(...cases.map((c) => c[0]));
    for (const [a, shape, dtype, list] of cases) {
      assertShape(a, shape);
      assertEqual(a.dtype, dtype, `dtype of ${JSON.stringify(list)}`);
      assertEqual(await a.tolist(), list);
    }
  });

  test('mx.array of an mx array returns it or casts it', async () => {
    const a = mx.array([1.5, 2.5]);
    assertEqual(mx.array(a) === a, true);
    const b = mx.array(a, mx.int32);
    assertEqual(b.dtype, mx.int32);
    assertEqual(await b.tolist(), [1, 2]);
  });

  test('ragged data and bad shapes throw', () => {
    assertThrows(() => mx.array([[1, 2], [3]]), /\[array\].*[Rr]agged/);
    assertThrows(() => mx.array([1, [2]] as never), /\[array\]/);
    assertThrows(() => mx.array([1], 'float8' as never), /dtype/i);
    assertThrows(() => mx.zeros([2, -1]), /\[full\]|\[zeros\]/);
    assertThrows(() => mx.ones([1.5]), /\[full\]|\[ones\]/);
    assertThrows(() => mx.arange(0, 10, 0), /\[arange\]/);
    assertThrows(() => mx.arange(0, Infinity), /\[arange\]/);
    assertThrows(() => mx.linspace(0, 1, -1), /\[linspace\]/);
    assertThrows(() => mx.tril(mx.zeros([3])), /\[tril\]/);
  });

  test('creation results have shape and dtype before evaluation', () => {
    assertShape(mx.zeros([2, 3, 4]), [2, 3, 4]);
    assertShape(mx.arange(0, 10, 3), [4]);
    assertShape(mx.linspace(0, 1, 7), [7]);
    assertShape(mx.eye(2, 5), [2, 5]);
    assertEqual(mx.arange(3).dtype, mx.int32);
    assertEqual(mx.arange(0.5, 3).dtype, mx.float32);
    assertEqual(mx.ones([1]).dtype, mx.float32);
    assertEqual(mx.full([1], true).dtype, mx.bool);
  });
});
