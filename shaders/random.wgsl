// webmlx random bits: Threefry-2x32 with 20 rounds (Salmon et al., Random123), the
// counter-based generator of MLX and JAX. Bit-identical to src/random/threefry.ts
// (threefry2x32(k0, k1, c0, c1) == mx_threefry2x32(vec2(k0, k1), vec2(c0, c1))).
// Fully unrolled: the rotation constants stay literals and no array is indexed.

// Four Threefry rounds (mix: x0 += x1; x1 = rotl(x1, r) ^ x0) with rotations ra..rd.
fn mx__threefry_4rounds(x: vec2<u32>, ra: u32, rb: u32, rc: u32, rd: u32) -> vec2<u32> {
  var x0 = x.x;
  var x1 = x.y;
  x0 = x0 + x1;
  x1 = ((x1 << ra) | (x1 >> (32u - ra))) ^ x0;
  x0 = x0 + x1;
  x1 = ((x1 << rb) | (x1 >> (32u - rb))) ^ x0;
  x0 = x0 + x1;
  x1 = ((x1 << rc) | (x1 >> (32u - rc))) ^ x0;
  x0 = x0 + x1;
  x1 = ((x1 << rd) | (x1 >> (32u - rd))) ^ x0;
  return vec2<u32>(x0, x1);
}

// Hashes the counter ctr under key; key schedule k0, k1, k2 = k0 ^ k1 ^ 0x1bd11bda,
// with a key injection (plus the injection number) after every four rounds.
fn mx_threefry2x32(key: vec2<u32>, ctr: vec2<u32>) -> vec2<u32> {
  let k0 = key.x;
  let k1 = key.y;
  let k2 = key.x ^ key.y ^ 0x1bd11bdau;
  var x = ctr + vec2<u32>(k0, k1);
  x = mx__threefry_4rounds(x, 13u, 15u, 26u, 6u);
  x = x + vec2<u32>(k1, k2 + 1u);
  x = mx__threefry_4rounds(x, 17u, 29u, 16u, 24u);
  x = x + vec2<u32>(k2, k0 + 2u);
  x = mx__threefry_4rounds(x, 13u, 15u, 26u, 6u);
  x = x + vec2<u32>(k0, k1 + 3u);
  x = mx__threefry_4rounds(x, 17u, 29u, 16u, 24u);
  x = x + vec2<u32>(k1, k2 + 4u);
  x = mx__threefry_4rounds(x, 13u, 15u, 26u, 6u);
  x = x + vec2<u32>(k2, k0 + 5u);
  return x;
}
