// Memory: many large arrays created, evaluated and dropped (dispose / using) keep
// active memory bounded; the memory API (active, peak, cache, limits). No large
// readbacks: only a few elements of each big array are ever read.
import { suite } from '../harness/suite.ts';
import { assert, assertEqual } from '../harness/assert.ts';
import { mx, nums, onDevice } from './common.ts';

const MB16 = 16 * 1024 * 1024;
const N16 = MB16 / 4; // float32 elements in 16 MiB

export const memorySuite = suite('memory', (t) => {
  const test = onDevice(t);

  // 200 arrays on the GPU; the CPU reference backend fills 16 MiB element by element
  // (~0.1-0.2 s each), so it runs a shorter loop of the same pattern.
  const bounded = (count: number) => async () => {
    const base = mx.getActiveMemory();
    mx.resetPeakMemory();
    let maxActive = 0;
    for (let i = 0; i < count; i++) {
      if (i % 2 === 0) {
        const a = i % 4 === 0 ? mx.zeros([N16]) : mx.full([N16], i);
        await mx.eval(a);
        maxActive = Math.max(maxActive, mx.getActiveMemory() - base);
        a.dispose();
      } else {
        using a = mx.full([1024, N16 / 1024], -i, mx.float32);
        await mx.eval(a);
        maxActive = Math.max(maxActive, mx.getActiveMemory() - base);
      }
    }
    // a tiny readback waits for the queued fills, so their GPU time is counted here
    {
      using probe = mx.add(mx.zeros([1]), 1);
      assertEqual(await probe.item(), 1);
    }
    assert(maxActive >= MB16, `an evaluated 16 MiB array shows in active memory (max ${maxActive})`);
    assert(maxActive <= 2 * MB16, `active memory stays bounded: max ${maxActive - MB16} bytes over one array`);
    assert(mx.getPeakMemory() - base <= 2 * MB16, `peak ${mx.getPeakMemory() - base} bytes over the start`);
    assert(mx.getActiveMemory() <= base, `everything released: ${mx.getActiveMemory() - base} bytes left`);
  };
  test('200 arrays of 16 MiB, dropped with dispose() and using, stay bounded', bounded(200), { devices: ['gpu'] });
  test('40 arrays of 16 MiB, dropped with dispose() and using, stay bounded', bounded(40), { devices: ['cpu'] });

  test('a big array can be sampled without reading it all back', async () => {
    using a = mx.full([N16], 3.5);
    using tail = mx.add(a.index('-4:'), 0); // a 16-byte copy
    await mx.eval(tail);
    assertEqual(await tail.tolist(), [3.5, 3.5, 3.5, 3.5]);
  });

  test('intermediates of an evaluation are freed', async () => {
    const x = mx.ones([1 << 20]); // 4 MiB, lazy
    const before = mx.getActiveMemory();
    const y = mx.sum(mx.exp(mx.multiply(mx.add(x, 1), 2)));
    await mx.eval(y);
    const grown = mx.getActiveMemory() - before;
    assert(grown <= 1024, `only the scalar result stays alive (grew by ${grown} bytes)`);
    const v = (await nums(y))[0];
    assert(Math.abs(v - Math.exp(4) * (1 << 20)) <= 1e-4 * Math.exp(4) * (1 << 20), `sum ${v}`);
  });

  test('dispose returns the bytes of an array', async () => {
    const a = mx.add(mx.zeros([1 << 18]), 1); // 1 MiB
    const before = mx.getActiveMemory();
    await mx.eval(a);
    const held = mx.getActiveMemory() - before;
    assert(held >= a.nbytes, `realized array holds ${held} bytes, expected >= ${a.nbytes}`);
    a.dispose();
    assert(mx.getActiveMemory() - before <= 0, 'released');
  });

  test('peak memory and its reset', async () => {
    mx.resetPeakMemory();
    assertEqual(mx.getPeakMemory(), mx.getActiveMemory());
    const start = mx.getActiveMemory();
    {
      using a = mx.add(mx.zeros([1 << 18]), 1);
      await mx.eval(a);
    }
    // (other arrays' bytes freed meanwhile, e.g. by the GC, lower the active memory: a run saw
    // the peak 131 bytes short of start + 1 MiB, so the lower of the two is the baseline)
    const base = Math.min(start, mx.getActiveMemory());
    assert(mx.getPeakMemory() - base >= 1 << 20, `peak saw the 1 MiB array (${mx.getPeakMemory() - base})`);
    mx.resetPeakMemory();
    assert(mx.getPeakMemory() - start < 1 << 20, 'reset brings the peak down to the active memory');
  });

  test('cache and memory limits return the previous values', () => {
    const prevCache = mx.setCacheLimit(1 << 20);
    assertEqual(mx.setCacheLimit(prevCache), 1 << 20);
    const prevMem = mx.setMemoryLimit(1 << 30);
    assertEqual(mx.setMemoryLimit(prevMem), 1 << 30);
    mx.clearCache();
    assertEqual(mx.getCacheMemory(), 0);
    assert(mx.getCacheMemory() >= 0 && Number.isFinite(mx.getActiveMemory()), 'memory counters are numbers');
  });

  test('with a cache limit of 0 nothing stays cached', async () => {
    const prev = mx.setCacheLimit(0);
    try {
      for (let i = 0; i < 4; i++) {
        using a = mx.full([1 << 16], i);
        await mx.eval(a);
      }
      assertEqual(mx.getCacheMemory(), 0);
    } finally {
      mx.setCacheLimit(prev);
    }
  });
});
