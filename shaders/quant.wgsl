// Helpers of the quantization kernels (see src/quant/layout.ts for the layouts).

// The value of an e2m1 code: bit 3 sign, then 2 exponent bits and 1 mantissa bit.
fn qz_fp4_val(c: u32) -> f32 {
  let e = (c >> 1u) & 3u;
  let m = f32(c & 1u);
  let mag = select(ldexp(1.0 + 0.5 * m, i32(e) - 1), 0.5 * m, e == 0u);
  return select(mag, -mag, (c & 8u) != 0u);
}

// The e2m1 code nearest to x, ties to even (MLX's fp4_e2m1 conversion).
fn qz_fp4_code(x: f32) -> u32 {
  if (x != x) {
    return 7u;
  }
  let s = select(0u, 8u, (bitcast<u32>(x) >> 31u) != 0u);
  let a = abs(x);
  var c = 0u;
  if (a > 5.0) {
    c = 7u;
  } else if (a >= 3.5) {
    c = 6u;
  } else if (a > 2.5) {
    c = 5u;
  } else if (a >= 1.75) {
    c = 4u;
  } else if (a > 1.25) {
    c = 3u;
  } else if (a >= 0.75) {
    c = 2u;
  } else if (a > 0.25) {
    c = 1u;
  }
  return c | s;
}

// 2^(s - 127) as MLX decodes an e8m0 scale (s = 0 is 2^-127, 255 is infinity).
fn qz_e8m0_val(s: u32) -> f32 {
  return bitcast<f32>(select(s << 23u, 0x400000u, s == 0u));
}

// round(log2(d)) + 127, clamped to [0, 254]; 0 for d = 0, 255 for inf/NaN. Rounding
// log2 is exact from the bits: the mantissa rounds up past sqrt(2).
fn qz_e8m0_code(d: f32) -> u32 {
  let u = bitcast<u32>(d);
  let e = (u >> 23u) & 0xffu;
  if (e == 0xffu) {
    return 255u;
  }
  if (e == 0u || (u >> 31u) != 0u) {
    return 0u;
  }
  let n = i32(e) - 127 + select(0, 1, (u & 0x7fffffu) > 0x3504f3u);
  return u32(clamp(n, -127, 127) + 127);
}
