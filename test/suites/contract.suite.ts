// Contractions (einsum, einsumPath, tensordot, inner, outer, kron, vecdot, addmm and the
// masked/gathered/segmented matmuls) against NumPy (test/fixtures/contract.gen.ts),
// plus gradients and errors.
import { suite } from '../harness/suite.ts';
import { assertEqual, assertThrows } from '../harness/assert.ts';
import { checkGrads } from '../harness/grads.ts';
import fixture from '../fixtures/contract.gen.ts';
import { mx, arr, fixtureTests, onDevice, type Adapter } from './common.ts';

const s = (v: unknown) => v as string;
const adapters: Record<string, Adapter> = {
  einsum: (xs, a) => mx.einsum(s(a.subscripts), ...xs),
  einsumPath: (xs, a) => mx.array(mx.einsumPath(s(a.subscripts), ...xs)[0], mx.int32),
  tensordot: (xs, a) => mx.tensordot(xs[0], xs[1], a.axes as number | [number[], number[]]),
  inner: (xs) => mx.inner(xs[0], xs[1]),
  outer: (xs) => mx.outer(xs[0], xs[1]),
  kron: (xs) => mx.kron(xs[0], xs[1]),
  vecdot: (xs, a) => mx.vecdot(xs[0], xs[1], a.axis as number),
  addmm: (xs, a) => mx.addmm(xs[0], xs[1], xs[2], a.alpha as number, a.beta as number),
  blockMaskedMm: (xs, a) => {
    const order = a.masks as string[];
    const m = (k: string) => (order.includes(k) ? arr(xs[2 + order.indexOf(k)]) : null);
    return mx.blockMaskedMm(xs[0], xs[1], 32, m('out'), m('lhs'), m('rhs'));
  },
  gatherMm: (xs, a) => {
    let k = 2;
    const li = a.lhs ? arr(xs[k++]) : null;
    const ri = a.rhs ? arr(xs[k++]) : null;
    return mx.gatherMm(xs[0], xs[1], li, ri);
  },
  segmentedMm: (xs) => mx.segmentedMm(xs[0], xs[1], xs[2]),
};

const rnd = (shape: number[], seed: number) => mx.random.normal(shape, mx.float32, 0, 1, { key: mx.random.key(seed) });

export const contractSuite = suite('contract', (t) => {
  const test = onDevice(t);
  fixtureTests(test, fixture.cases, adapters);

  test('einsumPath describes the contraction', () => {
    const [path, text] = mx.einsumPath('ij,jk,kl->il', mx.zeros([2, 3]), mx.zeros([3, 100]), mx.zeros([100, 4]));
    assertEqual(path, [[1, 2], [0, 1]]);
    for (const k of ['Complete contraction:  ij,jk,kl->il', 'Naive scaling:  4', 'Optimized scaling:  3', 'kl,jk->']) {
      if (!text.includes(k) && !text.includes(k.replace('kl,jk', 'jk,kl'))) throw new Error(`description lacks '${k}':\n${text}`);
    }
    assertEqual(mx.einsumPath('ii', mx.zeros([3, 3]))[0], [[0]]);
  });

  test('gradients: einsum chain and trace', async () => {
    await checkGrads((a, b, c) => mx.einsum('ij,jk,kl->il', a, b, c), [rnd([2, 3], 1), rnd([3, 4], 2), rnd([4, 2], 3)]);
    await checkGrads((a) => mx.einsum('ii', a), [rnd([3, 3], 4)]);
    await checkGrads((a, b) => mx.einsum('bii,bj->bij', a, b), [rnd([2, 3, 3], 5), rnd([2, 2], 6)]);
  });

  test('gradients: tensordot, kron, addmm', async () => {
    await checkGrads((a, b) => mx.tensordot(a, b, [[1, 0], [0, 1]]), [rnd([3, 4, 2], 7), rnd([4, 3], 8)]);
    await checkGrads((a, b) => mx.kron(a, b), [rnd([2, 3], 9), rnd([2, 2], 10)]);
    await checkGrads((c, a, b) => mx.addmm(c, a, b, 0.5, 2), [rnd([3, 2], 11), rnd([3, 4], 12), rnd([4, 2], 13)]);
  });

  test('errors name the op and shapes', () => {
    const a = mx.zeros([2, 3]), b = mx.zeros([4, 5]);
    assertThrows(() => mx.einsum('ij,jk->ik', a, b), /\[einsum\].*size 3.*size 4.*\(4,5\)/);
    assertThrows(() => mx.einsum('ij,jk->ik', a), /\[einsum\].*name 2 operand.*1 were given/);
    assertThrows(() => mx.einsum('i1,jk', a, b), /\[einsum\] Invalid subscript 'i1'/);
    assertThrows(() => mx.einsum('ijk', a), /\[einsum\] Operand 0 with shape \(2,3\) has 2 dimension/);
    assertThrows(() => mx.einsum('ij->iz', a), /\[einsum\] Output label 'z'/);
    assertThrows(() => mx.einsum('ij->ii', a), /\[einsum\].*repeats a label/);
    assertThrows(() => mx.einsum('...j->j', a), /\[einsum\].*1 dimension\(s\) under '\.\.\.'/);
    assertThrows(() => mx.tensordot(a, b, 1), /\[tensordot\].*\(2,3\).*\(4,5\)/);
    assertThrows(() => mx.tensordot(a, b, [[0], [0, 1]]), /\[tensordot\]/);
    assertThrows(() => mx.blockMaskedMm(a, mx.zeros([3, 2]), 16), /\[blockMaskedMm\].*32 and 64/);
    assertThrows(() => mx.blockMaskedMm(a, mx.zeros([3, 2]), 32, mx.zeros([2, 2], mx.bool)), /\[blockMaskedMm\] mask_out must have shape \(\.\.\., 1, 1\)/);
    assertThrows(() => mx.gatherMm(a, b), /\[gatherMm\].*\(2,3\).*\(4,5\)/);
    assertThrows(() => mx.inner(a, b), /\[inner\].*\(2,3\).*\(4,5\)/);
  });

  test('einsum equals matmul on a batch with broadcasting', async () => {
    const x = rnd([2, 3, 4], 20), y = rnd([4, 5], 21);
    const d = mx.max(mx.abs(mx.subtract(mx.einsum('...ij,jk', x, y), mx.matmul(x, y))));
    const v = (await d.item()) as number;
    if (!(v < 1e-5)) throw new Error(`einsum differs from matmul by ${v}`);
  });
});
