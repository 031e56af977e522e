// Dtypes: MLX's promotion table (mx.resultType), weak JS scalars, astype conversions
// against NumPy (dtype.gen.ts), dtype objects and finfo/iinfo/issubdtype.
import { suite } from '../harness/suite.ts';
import { assertEqual, assertThrows } from '../harness/assert.ts';
import fixture from '../fixtures/dtype.gen.ts';
import type { DtypeName } from '../fixtures/types.ts';
import { mx, fixtureTests, onDevice, type Adapter } from './common.ts';

const adapters: Record<string, Adapter> = { astype: (xs, a) => mx.astype(xs[0] as mx.MxArray, a.dtype as DtypeName) };

const ORDER: DtypeName[] = ['bool', 'uint8', 'uint16', 'uint32', 'uint64', 'int8', 'int16', 'int32', 'int64', 'float16', 'float32', 'bfloat16', 'float64'];
// mlx/dtype.cpp type_rules (JAX-style promotion), rows and columns in ORDER. Deliberately
// not NumPy's: e.g. int8 + uint64 -> float32, int16 + float16 -> float16, float16 + bfloat16 -> float32.
const b = 'bool', u8 = 'uint8', u16 = 'uint16', u32 = 'uint32', u64 = 'uint64', i8 = 'int8', i16 = 'int16', i32 = 'int32', i64 = 'int64';
const f16 = 'float16', f32 = 'float32', bf = 'bfloat16', f64 = 'float64';
const MLX_PROMOTION: DtypeName[][] = [
  [b, u8, u16, u32, u64, i8, i16, i32, i64, f16, f32, bf, f64],
  [u8, u8, u16, u32, u64, i16, i16, i32, i64, f16, f32, bf, f64],
  [u16, u16, u16, u32, u64, i32, i32, i32, i64, f16, f32, bf, f64],
  [u32, u32, u32, u32, u64, i64, i64, i64, i64, f16, f32, bf, f64],
  [u64, u64, u64, u64, u64, f32, f32, f32, f32, f16, f32, bf, f64],
  [i8, i16, i32, i64, f32, i8, i16, i32, i64, f16, f32, bf, f64],
  [i16, i16, i32, i64, f32, i16, i16, i32, i64, f16, f32, bf, f64],
  [i32, i32, i32, i64, f32, i32, i32, i32, i64, f16, f32, bf, f64],
  [i64, i64, i64, i64, f32, i64, i64, i64, i64, f16, f32, bf, f64],
  [f16, f16, f16, f16, f16, f16, f16, f16, f16, f16, f32, f32, f64],
  [f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f64],
  [bf, bf, bf, bf, bf, bf, bf, bf, bf, f32, f32, bf, f64],
  [f64, f64, f64, f64, f64, f64, f64, f64, f64, f64, f64, f64, f64],
];

export const dtypeSuite = suite('dtype', (t) => {
  const test = onDevice(t);
  fixtureTests(test, fixture.cases, adapters);

  test('resultType follows MLX promotion for all 169 pairs', () => {
    const bad: string[] = [];
    ORDER.forEach((x, i) =>
      ORDER.forEach((y, j) => {
        const got = mx.resultType(x, y).name;
        if (got !== MLX_PROMOTION[i][j]) bad.push(`${x} + ${y}: ${got}, expected ${MLX_PROMOTION[i][j]}`);
      }),
    );
    assertEqual(bad, []);
  });

  test('resultType of arrays and weak JS scalars', () => {
    const i8a = mx.zeros([1], mx.int8), f16a = mx.zeros([1], mx.float16), ba = mx.zeros([1], mx.bool);
    assertEqual(mx.resultType(i8a, 1).name, 'int8');
    assertEqual(mx.resultType(i8a, 1.5).name, 'float32');
    assertEqual(mx.resultType(f16a, 2.5).name, 'float16');
    assertEqual(mx.resultType(ba, 1).name, 'int32');
    assertEqual(mx.resultType(ba, true).name, 'bool');
    assertEqual(mx.resultType(1, 2).name, 'int32');
    assertEqual(mx.resultType(1, 2.5).name, 'float32');
    assertEqual(mx.resultType(true, false).name, 'bool');
    assertEqual(mx.resultType(i8a, mx.uint8).name, 'int16');
    assertEqual(mx.resultType(mx.int8, 'uint8').name, 'int16');
  });

  test('weak scalars keep the array dtype in ops', () => {
    const checks: [mx.MxArray, DtypeName][] = [
      [mx.add(mx.zeros([2], mx.int8), 1), 'int8'],
      [mx.multiply(mx.zeros([2], mx.int32), 1.5), 'float32'],
      [mx.multiply(mx.zeros([2], mx.float16), 2.0), 'float16'],
      [mx.add(mx.zeros([2], mx.bfloat16), 0.1), 'bfloat16'],
      [mx.add(mx.zeros([2], mx.uint8), 3), 'uint8'],
      [mx.add(mx.zeros([2], mx.bool), 1), 'int32'],
      [mx.logicalAnd(mx.zeros([2], mx.bool), true), 'bool'],
      [mx.divide(mx.zeros([2], mx.int16), 2), 'float32'],
      [mx.divide(mx.zeros([2], mx.float16), 2), 'float16'],
      [mx.maximum(mx.zeros([2], mx.uint16), 0), 'uint16'],
      [mx.where(mx.zeros([2], mx.bool), mx.zeros([2], mx.int8), 0), 'int8'],
      [mx.add(mx.zeros([2], mx.int8), mx.zeros([2], mx.uint8)), 'int16'],
      [mx.add(mx.zeros([2], mx.float16), mx.zeros([2], mx.bfloat16)), 'float32'],
    ];
    for (const [a, d] of checks) assertEqual(a.dtype.name, d);
  });

  test('dtype objects: names, sizes, singletons, strings accepted', () => {
    const sizes: Record<DtypeName, number> = {
      bool: 1, uint8: 1, uint16: 2, uint32: 4, uint64: 8, int8: 1, int16: 2, int32: 4, int64: 8,
      float16: 2, float32: 4, bfloat16: 2, float64: 8,
    };
    for (const name of ORDER) {
      const d = (mx as unknown as Record<string, mx.Dtype>)[name];
      assertEqual(d.name, name);
      assertEqual(d.size, sizes[name]);
      assertEqual(d.itemsize, sizes[name]);
      assertEqual(mx.zeros([1], name, { stream: mx.cpu }).dtype === d, true, `${name} string resolves to the singleton`);
    }
    assertThrows(() => mx.zeros([1], 'float8' as DtypeName), /[Uu]nknown dtype/);
  });

  test('issubdtype, finfo and iinfo', () => {
    assertEqual(mx.issubdtype(mx.float16, 'floating'), true);
    assertEqual(mx.issubdtype(mx.bfloat16, 'inexact'), true);
    assertEqual(mx.issubdtype(mx.int8, 'signedinteger'), true);
    assertEqual(mx.issubdtype(mx.uint8, 'signedinteger'), false);
    assertEqual(mx.issubdtype(mx.uint32, 'integer'), true);
    assertEqual(mx.issubdtype(mx.bool, 'integer'), false);
    assertEqual(mx.issubdtype(mx.float32, mx.float32), true);
    assertEqual(mx.finfo(mx.float16).max, 65504);
    assertEqual(mx.finfo(mx.float16).eps, 2 ** -10);
    assertEqual(mx.finfo(mx.bfloat16).eps, 2 ** -7);
    assertEqual(mx.finfo(mx.float32).max, 3.4028234663852886e38);
    assertEqual(mx.iinfo(mx.int8).min, -128);
    assertEqual(mx.iinfo(mx.uint16).max, 65535);
    assertEqual(mx.iinfo(mx.int32).max, 2147483647);
    assertThrows(() => mx.finfo(mx.int32), /\[finfo\]/);
    assertThrows(() => mx.iinfo(mx.float32), /\[iinfo\]/);
  });

  test('astype to the same dtype is a no-op and method form works', async () => {
    const x = mx.array([1.5, -2.5]);
    assertEqual(x.astype(mx.float32) === x, true);
    const y = x.astype('int32');
    assertEqual(y.dtype, mx.int32);
    assertEqual(await y.tolist(), [1, -2]);
  });
});
