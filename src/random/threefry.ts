// Threefry-2x32 with 20 rounds (Salmon et al., Random123), the counter-based generator
// MLX and JAX use. shaders/random.wgsl implements the same function for the GPU.

const ROT = [13, 15, 26, 6, 17, 29, 16, 24];
const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;

/** Hashes the counter (c0, c1) under the key (k0, k1); all uint32. */
export function threefry2x32(k0: number, k1: number, c0: number, c1: number): [number, number] {
  const ks = [k0 >>> 0, k1 >>> 0, (k0 ^ k1 ^ 0x1bd11bda) >>> 0];
  let x0 = (c0 + ks[0]) >>> 0;
  let x1 = (c1 + ks[1]) >>> 0;
  for (let r = 0; r < 5; r++) {
    for (let j = 0; j < 4; j++) {
      x0 = (x0 + x1) >>> 0;
      x1 = rotl(x1, ROT[(r % 2) * 4 + j]);
      x1 = (x1 ^ x0) >>> 0;
    }
    x0 = (x0 + ks[(r + 1) % 3]) >>> 0;
    x1 = (x1 + ks[(r + 2) % 3] + r + 1) >>> 0;
  }
  return [x0, x1];
}
