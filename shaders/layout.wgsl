// Storage helpers of the WebGPU backend: every dtype lives in array<u32> words, packed
// little-endian like the CPU TypedArrays; conversions follow the CPU reference casts.

// NaN by its bits, so fast-math compilers cannot fold the test away.
fn mxb_isnan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn mxb_isinf(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u;
}

// An f32 from its bits; a function, because a constant NaN/inf is a shader-creation error.
fn mxb_f32_bits(b: u32) -> f32 {
  return bitcast<f32>(b);
}

fn mxb_nan() -> f32 {
  return mxb_f32_bits(0x7fc00000u);
}

// Element k (0 or 1) of a word of two float16 values.
fn mxb_dec_f16(w: u32, k: u32) -> f32 {
  // one conversion (of the wanted half) rather than both and a dynamic pick
  return unpack2x16float(w >> (16u * k)).x;
}

fn mxb_dec_bf16(w: u32, k: u32) -> f32 {
  return bitcast<f32>(((w >> (16u * k)) & 0xffffu) << 16u);
}

fn mxb_dec_i8(w: u32, k: u32) -> i32 {
  return extractBits(bitcast<i32>(w), 8u * k, 8u);
}

fn mxb_dec_u8(w: u32, k: u32) -> u32 {
  return extractBits(w, 8u * k, 8u);
}

fn mxb_dec_i16(w: u32, k: u32) -> i32 {
  return extractBits(bitcast<i32>(w), 16u * k, 16u);
}

fn mxb_dec_u16(w: u32, k: u32) -> u32 {
  return extractBits(w, 16u * k, 16u);
}

fn mxb_dec_bool(w: u32, k: u32) -> bool {
  return extractBits(w, 8u * k, 8u) != 0u;
}

// float32 -> IEEE half bits, round to nearest even; the same steps as core/numeric.ts,
// because pack2x16float leaves rounding and overflow to the implementation.
fn mxb_f16_bits(v: f32) -> u32 {
  let x = bitcast<u32>(v);
  let sign = (x >> 16u) & 0x8000u;
  let ex = (x >> 23u) & 0xffu;
  var mant = x & 0x7fffffu;
  if (ex == 0xffu) {
    return sign | 0x7c00u | select(0u, 0x200u, mant != 0u);
  }
  let e = i32(ex) - 112;
  if (e >= 31) {
    return sign | 0x7c00u;
  }
  if (e <= 0) {
    if (e < -10) {
      return sign;
    }
    mant = mant | 0x800000u;
    let shift = u32(14 - e);
    var h = mant >> shift;
    let rem = mant & ((1u << shift) - 1u);
    let half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (h & 1u) != 0u)) {
      h = h + 1u;
    }
    return sign | h;
  }
  var h = (u32(e) << 10u) | (mant >> 13u);
  let rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u) != 0u)) {
    h = h + 1u;
  }
  return sign | h;
}

// float32 -> bfloat16 bits, round to nearest even; NaN becomes the quiet NaN 0x7fc0.
fn mxb_bf16_bits(v: f32) -> u32 {
  let x = bitcast<u32>(v);
  if ((x & 0x7fffffffu) > 0x7f800000u) {
    return 0x7fc0u;
  }
  return ((x + 0x7fffu + ((x >> 16u) & 1u)) >> 16u) & 0xffffu;
}

fn mxb_round_f16(v: f32) -> f32 {
  return unpack2x16float(mxb_f16_bits(v)).x;
}

fn mxb_round_bf16(v: f32) -> f32 {
  return bitcast<f32>(mxb_bf16_bits(v) << 16u);
}

// Float -> integer bits as the CPU casts: truncate, wrap modulo 2^32; NaN and inf give 0.
fn mxb_f2wrap(x: f32) -> u32 {
  if ((bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u) {
    return 0u;
  }
  let t = trunc(x);
  let a = abs(t);
  if (a < 2147483648.0) {
    return bitcast<u32>(i32(t));
  }
  // exact in f32: a is a multiple of 256 here, so the remainder fits 24 bits
  let m = a - floor(a / 4294967296.0) * 4294967296.0;
  let u = u32(m);
  return select(u, 0u - u, t < 0.0);
}

// float -> int32: infinities saturate (as the CPU's castInt), NaN gives 0.
fn mxb_f2i32(x: f32) -> i32 {
  if (mxb_isinf(x)) {
    return select(bitcast<i32>(0x80000000u), 2147483647i, x > 0.0);
  }
  return bitcast<i32>(mxb_f2wrap(x));
}

// float -> bool: anything but +-0 is true, NaN included (as the CPU's `v !== 0`); by bits,
// because compilers may assume comparisons never see NaN.
fn mxb_f2bool(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) != 0u;
}

// max/min that propagate NaN (for reductions and scans).
fn mxb_max_f32(a: f32, b: f32) -> f32 {
  if (mxb_isnan(a) || mxb_isnan(b)) {
    return mxb_nan();
  }
  return max(a, b);
}

fn mxb_min_f32(a: f32, b: f32) -> f32 {
  if (mxb_isnan(a) || mxb_isnan(b)) {
    return mxb_nan();
  }
  return min(a, b);
}
