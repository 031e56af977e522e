// A small seeded PRNG for shuffling and random augmentations (host-side, reproducible).

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * A deterministic generator (splitmix32) from a seed.
 * @example
 * const rng = makeRng(42); rng(); // same sequence for the same seed
 */
export function makeRng(seed: number): Rng {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    return (z >>> 0) / 4294967296;
  };
}

let global: Rng = makeRng((Date.now() ^ (Math.random() * 2 ** 32)) >>> 0);

/**
 * Seeds the generator that data ops use when they are not given their own seed.
 * @example
 * dx.seed(0); // shuffles and random crops repeat from run to run
 */
export function seed(s: number): void {
  global = makeRng(s);
}

/** @internal The generator for an op: its own when seeded, else the global one. */
export function rngFor(seedOrRng?: number | Rng): Rng {
  if (typeof seedOrRng === 'function') return seedOrRng;
  if (typeof seedOrRng === 'number') return makeRng(seedOrRng);
  return () => global();
}

/** @internal A random permutation of 0..n-1 (Fisher-Yates). */
export function permutation(n: number, rng: Rng): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}
