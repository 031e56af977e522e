// Scans (cumsum cumprod cummax cummin; axis, reverse, inclusive) against NumPy
// (test/fixtures/scan.gen.ts), plus method forms and errors.
import { suite } from '../harness/suite.ts';
import { assertClose, assertEqual, assertShape, assertThrows } from '../harness/assert.ts';
import fixture from '../fixtures/scan.gen.ts';
import { mx, fixtureTests, onDevice, nums, type Adapter, type Input, type MxArray } from './common.ts';

type S = (a: Input, axis?: number | null, reverse?: boolean, inclusive?: boolean) => MxArray;
const SCANS: Record<string, S> = { cumsum: mx.cumsum, cumprod: mx.cumprod, cummax: mx.cummax, cummin: mx.cummin };
const adapters: Record<string, Adapter> = Object.fromEntries(
  Object.entries(SCANS).map(([op, f]) => [
    op,
    ((xs, a) => f(xs[0], a.axis as number | null, a.reverse as boolean, a.inclusive as boolean)) as Adapter,
  ]),
);

export const scanSuite = suite('scan', (t) => {
  const test = onDevice(t);
  fixtureTests(test, fixture.cases, adapters);

  test('method forms match the functions', async () => {
    const x = mx.array([[1, 3, 2], [4, 0, 5]], mx.float32);
    const pairs: [MxArray, MxArray][] = [
      [x.cumsum(1), mx.cumsum(x, 1)], [x.cumprod(0, true), mx.cumprod(x, 0, true)],
      [x.cummax(1, false, false), mx.cummax(x, 1, false, false)], [x.cummin(), mx.cummin(x)],
    ];
    await mx.eval(...pairs.flat());
    for (const [a, b] of pairs) {
      assertEqual([...a.shape], [...b.shape]);
      assertClose(await nums(a), await nums(b), { rtol: 0, atol: 0 });
    }
  });

  test('defaults: flattened, forward, inclusive', async () => {
    const x = mx.array([[1, 2], [3, 4]], mx.int32);
    const s = mx.cumsum(x);
    assertShape(s, [4]);
    assertEqual(await s.tolist(), [1, 3, 6, 10]);
  });

  test('axis out of bounds throws naming the op', () => {
    assertThrows(() => mx.cumsum(mx.zeros([2, 3]), 2), /\[cumsum\].*out of bounds/i);
    assertThrows(() => mx.cummax(mx.zeros([2]), -2), /\[cummax\]/);
  });

  test('a scan feeding a reduction in one graph', async () => {
    const x = mx.arange(1, 65, 1, mx.float32);
    const c = mx.cumsum(x);
    const last = mx.max(c);
    const total = mx.sum(c);
    await mx.eval(c, last, total);
    assertEqual(await last.item(), (64 * 65) / 2);
    let t = 0;
    for (let i = 1; i <= 64; i++) t += (i * (i + 1)) / 2;
    assertEqual(await total.item(), t);
  });
});
