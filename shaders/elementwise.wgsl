// webmlx elementwise function library. Generated kernels concatenate this file with
// their own code and call the `mx_*` functions named by src/ops/defs/elementwise.ts.
// Compute types are f32, i32, u32 and bool; typed variants carry a `_f32/_i32/_u32`
// suffix because WGSL has no user overloading. `mx__*` functions are private helpers.
//
// WGSL lets implementations assume that no NaN or infinity occurs and gives builtins
// loose error bounds (exp: 3 + 2|x| ulp, log: 2^-21 absolute near 1, division
// 2.5 ulp). So special values are detected with bit tests, produced by bitcast from a
// run-time argument (a constant NaN/inf is a shader-creation error), and exp/log are
// computed here from a range reduction and polynomials instead of the builtins.
// Everything is valid for Tint (Dawn) and naga (wgpu): no f16, no overloading, no
// recursion, loops bounded by small constants.

// ---- special values --------------------------------------------------------------

// The f32 with the given bits; a function so that inf/NaN bit patterns stay run-time
// values (bitcast of a constant to inf/NaN is rejected at shader creation).
fn mx__bits_f32(b: u32) -> f32 {
  return bitcast<f32>(b);
}

fn mx__nan() -> f32 {
  return mx__bits_f32(0x7fc00000u);
}

// Infinity with the sign of s.
fn mx__inf(s: f32) -> f32 {
  return mx__bits_f32(0x7f800000u | (bitcast<u32>(s) & 0x80000000u));
}

// |m| with the sign bit of s (keeps -0 and NaN intact, unlike select on s < 0).
fn mx__copysign(m: f32, s: f32) -> f32 {
  return bitcast<f32>((bitcast<u32>(m) & 0x7fffffffu) | (bitcast<u32>(s) & 0x80000000u));
}

// Bit tests rather than x != x, which compilers may fold away.
fn mx_isnan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn mx_isinf(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u;
}

fn mx_isfinite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) < 0x7f800000u;
}

// ---- sign, maximum, minimum ------------------------------------------------------

// NaN stays NaN and ±0 stays ±0 (so do subnormals on devices that flush them).
fn mx_sign_f32(x: f32) -> f32 {
  let s = select(select(mx__copysign(0.0, x), -1.0, x < 0.0), 1.0, x > 0.0);
  return select(s, x, mx_isnan(x));
}

fn mx_sign_i32(x: i32) -> i32 {
  return select(select(0, -1, x < 0), 1, x > 0);
}

// NaN if either input is NaN (WGSL max/min may return the other operand).
fn mx_maximum(a: f32, b: f32) -> f32 {
  return select(select(max(a, b), b, mx_isnan(b)), a, mx_isnan(a));
}

fn mx_minimum(a: f32, b: f32) -> f32 {
  return select(select(min(a, b), b, mx_isnan(b)), a, mx_isnan(a));
}

// ---- exp / log kernels -----------------------------------------------------------

// v * 2^n for a finite v and an integer n in [-252, 254]. A normal result is made by
// adding n to the exponent field (exact, and no float product a compiler could
// reassociate into an overflow); only a subnormal or zero result multiplies.
fn mx__ldexp(v: f32, n: i32) -> f32 {
  let b = bitcast<u32>(v);
  let ev = i32((b >> 23u) & 0xffu);
  let e = ev + n;
  if (ev != 0 && e > 0 && e < 255) {
    return bitcast<f32>(b + (u32(n) << 23u));
  }
  if (ev != 0 && e >= 255) {
    return mx__inf(v);
  }
  let h = n >> 1u;
  let p = bitcast<f32>(u32(h + 127) << 23u);
  let q = bitcast<f32>(u32(n - h + 127) << 23u);
  return (v * p) * q;
}

// e^r - 1 for |r| <= 0.5 by its Taylor series (truncation < 6e-10 relative).
fn mx__expm1_poly(r: f32) -> f32 {
  var p = 2.755731922398589e-7;
  p = 2.7557319223985893e-6 + r * p;
  p = 2.48015873015873e-5 + r * p;
  p = 1.984126984126984e-4 + r * p;
  p = 1.388888888888889e-3 + r * p;
  p = 8.333333333333333e-3 + r * p;
  p = 4.1666666666666664e-2 + r * p;
  p = 0.16666666666666666 + r * p;
  p = 0.5 + r * p;
  return r + r * (r * p);
}

// e^x 2^k (k in [-2, 2]) as 2^(n+k) e^r with n = round(x / ln 2), r = x - n ln 2
// (Cody-Waite: ln2_hi has 15 significant bits, so n * ln2_hi is exact). ~1 ulp for
// large |x| too; k = -1 gives e^x / 2 where e^x alone would overflow.
fn mx__exp2k(x: f32, k: i32) -> f32 {
  if (mx_isnan(x)) {
    return x;
  }
  if (x > 90.0) {
    return mx__inf(1.0);
  }
  if (x < -104.0) {
    return 0.0;
  }
  let n = round(x * 1.4426950408889634);
  let r = (x - n * 0.693145751953125) - n * 1.4286068202862268e-6;
  return mx__ldexp(1.0 + mx__expm1_poly(r), i32(n) + k);
}

fn mx__exp(x: f32) -> f32 {
  return mx__exp2k(x, 0);
}

// log(1 + f) for f in [sqrt(1/2) - 1, sqrt(2) - 1]: with s = f / (2 + f),
// log(1 + f) = 2 atanh(s) = f - s (f - R(s^2)); the division error only enters s * (...).
fn mx__log1p_core(f: f32) -> f32 {
  let s = f / (2.0 + f);
  let z = s * s;
  var r = 0.18181818181818182;
  r = 0.2222222222222222 + z * r;
  r = 0.2857142857142857 + z * r;
  r = 0.4 + z * r;
  r = 0.6666666666666666 + z * r;
  return f - s * (f - z * r);
}

// Natural log: x = m 2^e with m in [sqrt(1/2), sqrt(2)), log x = e ln 2 + log m.
// Relative error ~1e-7 everywhere, including near 1 where the builtin is only 2^-21 absolute.
fn mx__log(x: f32) -> f32 {
  var b = bitcast<u32>(x);
  if (b >= 0x7f800000u) {
    // +inf, NaN, or the sign bit set
    if (b == 0x7f800000u) {
      return x;
    }
    if (b == 0x80000000u) {
      return mx__inf(-1.0);
    }
    return mx__nan();
  }
  var e = 0;
  if (b < 0x00800000u) {
    // zero or subnormal (the latter may be flushed to zero by the device)
    let y = x * 8388608.0;
    if (y == 0.0) {
      return mx__inf(-1.0);
    }
    b = bitcast<u32>(y);
    e = -23;
  }
  e = e + i32(b >> 23u) - 127;
  var m = bitcast<f32>((b & 0x007fffffu) | 0x3f800000u);
  if (m > 1.4142135) {
    m = m * 0.5;
    e = e + 1;
  }
  let fe = f32(e);
  return fe * 0.693145751953125 + (mx__log1p_core(m - 1.0) + fe * 1.4286068202862268e-6);
}

// ---- exponential and logarithmic functions ---------------------------------------

// Taylor near 0; else e^x - 1 = 2^n expm1(r) + (2^n - 1), which stays accurate where
// exp(x) - 1 would cancel.
fn mx_expm1(x: f32) -> f32 {
  if (abs(x) < 0.5) {
    return mx__expm1_poly(x);
  }
  if (mx_isnan(x)) {
    return x;
  }
  if (x > 44.0) {
    return mx__exp(x);
  }
  if (x < -18.0) {
    return -1.0;
  }
  let n = round(x * 1.4426950408889634);
  let r = (x - n * 0.693145751953125) - n * 1.4286068202862268e-6;
  let p = mx__ldexp(1.0, i32(n));
  return p * mx__expm1_poly(r) + (p - 1.0);
}

// Near 0 the argument goes straight to the log(1 + f) kernel, so 1 + x is never rounded;
// elsewhere the rounding error of u = 1 + x is added back to first order.
fn mx_log1p(x: f32) -> f32 {
  if (x > -0.29289323 && x < 0.41421357) {
    return mx__log1p_core(x);
  }
  let u = 1.0 + x;
  let c = select(0.0, (x - (u - 1.0)) / u, u > 0.0 && u < 1.0e30);
  return mx__log(u) + c;
}

fn mx_log10(x: f32) -> f32 {
  return mx__log(x) * 0.43429448190325176;
}

// ---- hyperbolic functions --------------------------------------------------------

// From expm1 near 0; beyond 88 e^|x| overflows before sinh does, so e^|x| / 2 is
// formed directly (not as e^(|x|/2)^2 / 2: compilers may reorder that into t * t first).
fn mx_sinh(x: f32) -> f32 {
  let ax = abs(x);
  var r: f32;
  if (ax > 88.0) {
    r = mx__exp2k(ax, -1);
  } else {
    let e = mx_expm1(ax);
    r = 0.5 * (e + e / (e + 1.0));
  }
  return mx__copysign(r, x);
}

fn mx_cosh(x: f32) -> f32 {
  let ax = abs(x);
  if (ax > 88.0) {
    return mx__exp2k(ax, -1);
  }
  let e = mx__exp(ax);
  return 0.5 * e + 0.5 / e;
}

// tanh|x| = E / (E + 2) with E = expm1(2|x|): no cancellation near 0, and exactly 1
// from 9 on (no inf/inf NaN, unlike some builtin tanh implementations).
fn mx_tanh(x: f32) -> f32 {
  if (mx_isnan(x)) {
    return x;
  }
  let ax = abs(x);
  var r = 1.0;
  if (ax < 9.0) {
    let e = mx_expm1(2.0 * ax);
    r = e / (e + 2.0);
  }
  return mx__copysign(r, x);
}

// log1p form for small |x|, log(2|x| + 1/(sqrt(x^2+1)+|x|)) in the middle, and
// log|x| + ln 2 for large |x| (avoids overflow of x^2).
fn mx_asinh(x: f32) -> f32 {
  let ax = abs(x);
  var r: f32;
  if (ax > 4096.0) {
    r = mx__log(ax) + 0.6931471805599453;
  } else if (ax > 2.0) {
    r = mx__log(2.0 * ax + 1.0 / (sqrt(ax * ax + 1.0) + ax));
  } else {
    let z = ax * ax;
    r = mx_log1p(ax + z / (1.0 + sqrt(1.0 + z)));
  }
  return mx__copysign(r, x);
}

// Near 1, t = x - 1 is exact and acosh x = log1p(t + sqrt(2t + t^2)).
fn mx_acosh(x: f32) -> f32 {
  if (x < 1.0) {
    return mx__nan();
  }
  if (x > 4096.0) {
    return mx__log(x) + 0.6931471805599453;
  }
  if (x > 2.0) {
    return mx__log(2.0 * x - 1.0 / (x + sqrt(x * x - 1.0)));
  }
  let t = x - 1.0;
  return mx_log1p(t + sqrt(2.0 * t + t * t));
}

// atanh|x| = log1p(2|x| / (1 - |x|)) / 2, arranged to keep relative accuracy near 0.
fn mx_atanh(x: f32) -> f32 {
  let ax = abs(x);
  var r: f32;
  if (ax < 0.5) {
    let t = ax + ax;
    r = 0.5 * mx_log1p(t + t * ax / (1.0 - ax));
  } else if (ax < 1.0) {
    r = 0.5 * mx_log1p((ax + ax) / (1.0 - ax));
  } else if (ax == 1.0) {
    r = mx__inf(1.0);
  } else {
    r = mx__nan();
  }
  return mx__copysign(r, x);
}

// ---- sigmoid, logaddexp ----------------------------------------------------------

// Only e^-|x| is formed, so neither branch overflows.
fn mx_sigmoid(x: f32) -> f32 {
  let e = mx__exp(-abs(x));
  let r = 1.0 / (1.0 + e);
  return select(r, e * r, x < 0.0);
}

// max + log1p(e^-|a-b|); equal inputs (both -inf or both +inf included) short-cut
// to a + ln 2 so inf - inf never appears.
fn mx_logaddexp(a: f32, b: f32) -> f32 {
  if (a == b) {
    return a + 0.6931471805599453;
  }
  let m = max(a, b);
  return m + mx_log1p(mx__exp(-abs(a - b)));
}

// ---- error function --------------------------------------------------------------

fn mx_erf(x: f32) -> f32 {
  // both branches computed and selected (no divergence), each fitted to float64 erf
  // (least squares on Chebyshev nodes; ~2.4 ulp max): |x| < 1 as x P(x^2); beyond, as
  // 1 - exp(-x^2) R(t) with R ~ erfcx on t in [1, 4] (erf is 1 in float32 past 4)
  let ax = abs(x);
  let z = x * x;
  var p = 7.8982102064135067e-05;
  p = -0.00080243541285217378 + z * p;
  p = 0.0051900535778232381 + z * p;
  p = -0.026854808537220214 + z * p;
  p = 0.11283612428245013 + z * p;
  p = -0.37612628843325158 + z * p;
  p = 1.128379166510052 + z * p;
  let u = min(ax, 4.0) - 2.5;
  var r = 1.4981338398805805e-06;
  r = -6.3341832569911002e-06 + u * r;
  r = 1.5317161953122787e-05 + u * r;
  r = -5.384542284191667e-05 + u * r;
  r = 0.00021110837664560579 + u * r;
  r = -0.00073856639637230755 + u * r;
  r = 0.0024674454259289561 + u * r;
  r = -0.0079996091991840768 + u * r;
  r = 0.024937805288075689 + u * r;
  r = -0.074347557859221758 + u * r;
  r = 0.21080637463687144 + u * r;
  let big = mx__copysign(1.0 - exp(-z) * r, x);
  return select(big, x * p, ax < 1.0);
}

// Giles' single-precision approximation ("Approximating the erfinv function", 2010),
// with w = -log((1-x)(1+x)) from the accurate log; ±1 -> ±inf, |x| > 1 -> NaN.
fn mx_erfinv(x: f32) -> f32 {
  let ax = abs(x);
  if (ax >= 1.0) {
    if (ax == 1.0) {
      return mx__inf(x);
    }
    return mx__nan();
  }
  var w = -mx__log((1.0 - x) * (1.0 + x));
  var p: f32;
  if (w < 5.0) {
    w = w - 2.5;
    p = 2.81022636e-8;
    p = 3.43273939e-7 + p * w;
    p = -3.5233877e-6 + p * w;
    p = -4.39150654e-6 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = sqrt(w) - 3.0;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  return p * x;
}

// ---- floor division and remainder ------------------------------------------------

// Exact fmod(a, b) (sign of a, |r| < |b|): long division of the integer significands,
// 8 bits of exponent gap per step (at most 32 steps). NaN for a = ±inf or b = 0.
fn mx__fmod(a: f32, b: f32) -> f32 {
  let ua = bitcast<u32>(a) & 0x7fffffffu;
  let ub = bitcast<u32>(b) & 0x7fffffffu;
  if (ua >= 0x7f800000u || ub > 0x7f800000u || ub == 0u) {
    return mx__nan();
  }
  if (ua < ub) {
    // |a| < |b| (bit patterns of non-negative floats order like the values), b = ±inf included
    return a;
  }
  var ea = i32(ua >> 23u);
  var eb = i32(ub >> 23u);
  var ma = ua & 0x007fffffu;
  var mb = ub & 0x007fffffu;
  if (ea == 0) {
    ea = 1;
  } else {
    ma = ma | 0x00800000u;
  }
  if (eb == 0) {
    eb = 1;
  } else {
    mb = mb | 0x00800000u;
  }
  // a = ma 2^(ea-150), b = mb 2^(eb-150): reduce ma 2^(ea-eb) modulo mb
  var m = ma % mb;
  var d = ea - eb;
  for (var i = 0; i < 32; i = i + 1) {
    if (d <= 0) {
      break;
    }
    let s = min(d, 8);
    m = (m << u32(s)) % mb;
    d = d - s;
  }
  return mx__copysign(mx__ldexp(f32(m), eb - 150), a);
}

// NumPy's divmod for floats (npy_divmod): from the exact fmod, r takes the sign of b and
// q = (a - fmod) / b rounded to the nearest integer, which absorbs the error of the GPU
// division (6 / 3 may give 1.9999999). b = 0 gives q = a / b and r = NaN; a = ±inf or
// NaN operands give NaN.
fn mx__divmod_f32(a: f32, b: f32) -> vec2<f32> {
  if (b == 0.0) {
    let q = select(mx__inf(mx__copysign(1.0, a) * mx__copysign(1.0, b)), mx__nan(), a == 0.0 || mx_isnan(a));
    return vec2<f32>(q, mx__nan());
  }
  let m = mx__fmod(a, b);
  if (mx_isnan(m)) {
    return vec2<f32>(m, m);
  }
  var r = m;
  // scaled by 1/4 for |b| >= 2^126, beyond which GPU division (a * rcp(b)) may flush to 0
  let sc = select(1.0, 0.25, abs(b) >= 8.507059e37);
  var div = ((a - m) * sc) / (b * sc);
  if (m != 0.0) {
    if ((b < 0.0) != (m < 0.0)) {
      r = m + b;
      div = div - 1.0;
    }
  } else {
    r = mx__copysign(0.0, b);
  }
  var q = mx__copysign(0.0, mx__copysign(1.0, a) * mx__copysign(1.0, b));
  if (div != 0.0) {
    q = floor(div);
    if (div - q > 0.5) {
      q = q + 1.0;
    }
  }
  return vec2<f32>(q, r);
}

fn mx_floordiv_f32(a: f32, b: f32) -> f32 {
  return mx__divmod_f32(a, b).x;
}

// Integer division rounds toward -inf; division by zero gives 0 (no trap), and
// INT_MIN / -1 wraps to INT_MIN as WGSL defines it.
fn mx_floordiv_i32(a: i32, b: i32) -> i32 {
  if (b == 0) {
    return 0;
  }
  let q = a / b;
  return select(q, q - 1, (a - q * b) != 0 && ((a < 0) != (b < 0)));
}

fn mx_floordiv_u32(a: u32, b: u32) -> u32 {
  if (b == 0u) {
    return 0u;
  }
  return a / b;
}

fn mx_remainder_f32(a: f32, b: f32) -> f32 {
  return mx__divmod_f32(a, b).y;
}

// Sign of the divisor (Python %); remainder by zero gives 0. Formed from the quotient,
// not i32 `%`: naga's SPIR-V for `%` gave wrong results for negative a on an NVIDIA driver.
fn mx_remainder_i32(a: i32, b: i32) -> i32 {
  if (b == 0) {
    return 0;
  }
  let r = a - (a / b) * b;
  return select(r, r + b, r != 0 && ((r < 0) != (b < 0)));
}

fn mx_remainder_u32(a: u32, b: u32) -> u32 {
  if (b == 0u) {
    return 0u;
  }
  return a % b;
}

// ---- power -----------------------------------------------------------------------

// C/NumPy pow: x^0 = 1 and 1^y = 1 even for NaN; a negative base needs an integral
// exponent (else NaN) and takes its parity's sign. Integral |y| <= 64 uses repeated
// squaring (exact for small integer results), the rest e^(y log|x|).
fn mx_pow_f32(x: f32, y: f32) -> f32 {
  if (y == 0.0 || x == 1.0) {
    return 1.0;
  }
  if (mx_isnan(x) || mx_isnan(y)) {
    return mx__nan();
  }
  let ax = abs(x);
  if (mx_isinf(y)) {
    if (ax == 1.0) {
      return 1.0;
    }
    return select(0.0, mx__inf(1.0), (ax > 1.0) == (y > 0.0));
  }
  let ay = abs(y);
  let yint = floor(y) == y;
  if (x < 0.0 && !yint && mx_isfinite(x)) {
    return mx__nan();
  }
  // every f32 of magnitude >= 2^24 is even
  let odd = yint && ay < 16777216.0 && (u32(ay) & 1u) == 1u;
  var r: f32;
  if (yint && ay <= 64.0) {
    var base = ax;
    var n = u32(ay);
    r = 1.0;
    for (var i = 0u; i < 7u; i = i + 1u) {
      if ((n & 1u) != 0u) {
        r = r * base;
      }
      n = n >> 1u;
      base = base * base;
    }
    if (y < 0.0) {
      r = 1.0 / r;
    }
  } else {
    r = mx__exp(y * mx__log(ax));
  }
  // the sign bit test also covers x = -0 and x = -inf
  return select(r, -r, odd && (bitcast<u32>(x) & 0x80000000u) != 0u);
}

// Repeated squaring with wrapping multiplication; a negative exponent gives 0 except
// for base 1 (1) and -1 (±1 by parity).
fn mx_pow_i32(a: i32, b: i32) -> i32 {
  if (b < 0) {
    if (a == 1) {
      return 1;
    }
    if (a == -1) {
      return select(1, -1, (b & 1) != 0);
    }
    return 0;
  }
  var base = a;
  var n = u32(b);
  var r = 1;
  for (var i = 0u; i < 31u; i = i + 1u) {
    if ((n & 1u) != 0u) {
      r = r * base;
    }
    n = n >> 1u;
    if (n == 0u) {
      break;
    }
    base = base * base;
  }
  return r;
}

fn mx_pow_u32(a: u32, b: u32) -> u32 {
  var base = a;
  var n = b;
  var r = 1u;
  for (var i = 0u; i < 32u; i = i + 1u) {
    if ((n & 1u) != 0u) {
      r = r * base;
    }
    n = n >> 1u;
    if (n == 0u) {
      break;
    }
    base = base * base;
  }
  return r;
}

// ---- shifts ----------------------------------------------------------------------

// WGSL takes shift counts modulo 32; counts >= 32 are made to shift everything out.
fn mx_shl_i32(a: i32, b: u32) -> i32 {
  return select(a << min(b, 31u), 0, b >= 32u);
}

fn mx_shl_u32(a: u32, b: u32) -> u32 {
  return select(a << min(b, 31u), 0u, b >= 32u);
}

// Arithmetic shift; a count of 31 already gives 0 or -1, so large counts saturate there.
fn mx_shr_i32(a: i32, b: u32) -> i32 {
  return a >> min(b, 31u);
}

fn mx_shr_u32(a: u32, b: u32) -> u32 {
  return select(a >> min(b, 31u), 0u, b >= 32u);
}

// Accurate exp/log for kernels: the builtins only promise ~2^-21 absolute error and some
// drivers map exp(NaN) to inf and log(0) to a finite value.
fn mx_exp(x: f32) -> f32 {
  return mx__exp(x);
}
fn mx_log(x: f32) -> f32 {
  return mx__log(x);
}
fn mx_log2(x: f32) -> f32 {
  return mx__log(x) * 1.4426950408889634;
}

// sin/cos with Cody-Waite reduction by pi/2 and minimax polynomials on [-pi/4, pi/4];
// SwiftShader's builtins were off by ~2e-4.
fn mx__sincos_reduce(x: f32) -> vec2<f32> {
  let k = round(x * 0.6366197723675814);
  let r = ((x - k * 1.5703125) - k * 4.837512969970703e-4) - k * 7.549789954891882e-8;
  return vec2<f32>(r, k);
}
fn mx__sin_poly(r: f32) -> f32 {
  let z = r * r;
  return r + r * z * (-0.16666666666666666 + z * (0.008333333333333333 + z * (-1.984126984126984e-4 + z * 2.7557319223985893e-6)));
}
fn mx__cos_poly(r: f32) -> f32 {
  let z = r * r;
  return 1.0 - 0.5 * z + z * z * (0.041666666666666664 + z * (-0.001388888888888889 + z * (2.48015873015873e-5 - z * 2.755731922398589e-7)));
}
fn mx_sin(x: f32) -> f32 {
  if (!mx_isfinite(x)) {
    return mx__nan();
  }
  let rk = mx__sincos_reduce(x);
  let q = i32(rk.y) & 3;
  if (q == 0) { return mx__sin_poly(rk.x); }
  if (q == 1) { return mx__cos_poly(rk.x); }
  if (q == 2) { return -mx__sin_poly(rk.x); }
  return -mx__cos_poly(rk.x);
}
fn mx_cos(x: f32) -> f32 {
  if (!mx_isfinite(x)) {
    return mx__nan();
  }
  let rk = mx__sincos_reduce(x);
  let q = i32(rk.y) & 3;
  if (q == 0) { return mx__cos_poly(rk.x); }
  if (q == 1) { return -mx__sin_poly(rk.x); }
  if (q == 2) { return -mx__cos_poly(rk.x); }
  return mx__sin_poly(rk.x);
}
fn mx_tan(x: f32) -> f32 {
  return mx_sin(x) / mx_cos(x);
}

// Float comparisons that stay IEEE-correct for NaN even where the compiler assumes none.
fn mx_eq_f32(a: f32, b: f32) -> bool {
  return !mx_isnan(a) && !mx_isnan(b) && a == b;
}
fn mx_ne_f32(a: f32, b: f32) -> bool {
  return mx_isnan(a) || mx_isnan(b) || a != b;
}
fn mx_lt_f32(a: f32, b: f32) -> bool {
  return !mx_isnan(a) && !mx_isnan(b) && a < b;
}
fn mx_le_f32(a: f32, b: f32) -> bool {
  return !mx_isnan(a) && !mx_isnan(b) && a <= b;
}

// atan with reduction to |u| <= tan(pi/8) and an odd series; drivers' builtins (lavapipe)
// were off by ~1.5e-4 for asin/acos.
fn mx__atan_core(t: f32) -> f32 {
  // t in [0, 1]
  var base = 0.0;
  var u = t;
  if (t > 0.41421356237309503) {
    base = 0.7853981633974483;
    u = (t - 1.0) / (t + 1.0);
  }
  let z = u * u;
  let p = -0.058823529411764705 * z + 0.06666666666666667;
  let q = ((((((p * z - 0.07692307692307693) * z + 0.09090909090909091) * z - 0.1111111111111111) * z + 0.14285714285714285) * z - 0.2) * z + 0.3333333333333333);
  return base + u - u * z * q;
}
fn mx_atan(x: f32) -> f32 {
  if (mx_isnan(x)) {
    return x;
  }
  let a = abs(x);
  var r: f32;
  if (a > 1.0) {
    r = 1.5707963267948966 - mx__atan_core(1.0 / a);
  } else {
    r = mx__atan_core(a);
  }
  return select(r, -r, x < 0.0);
}
fn mx_atan2(y: f32, x: f32) -> f32 {
  if (mx_isnan(x) || mx_isnan(y)) {
    return mx__nan();
  }
  if (x == 0.0 && y == 0.0) {
    // atan2(+-0, +0) = +-0, atan2(+-0, -0) = +-pi
    let neg_x = (bitcast<u32>(x) & 0x80000000u) != 0u;
    return mx__copysign(select(0.0, 3.141592653589793, neg_x), y);
  }
  if (mx_isinf(x) || mx_isinf(y)) {
    return atan2(y, x);
  }
  var r: f32;
  if (abs(y) > abs(x)) {
    r = 1.5707963267948966 - mx_atan(x / y);
    if (y < 0.0) {
      r = r - 3.141592653589793;
    }
  } else {
    r = mx_atan(y / x);
    if (x < 0.0) {
      r = r + select(-3.141592653589793, 3.141592653589793, y >= 0.0);
    }
  }
  return r;
}
fn mx_asin(x: f32) -> f32 {
  if (abs(x) > 1.0 || mx_isnan(x)) {
    return mx__nan();
  }
  if (abs(x) == 1.0) {
    return x * 1.5707963267948966;
  }
  return mx_atan(x / sqrt((1.0 - x) * (1.0 + x)));
}
fn mx_acos(x: f32) -> f32 {
  if (abs(x) > 1.0 || mx_isnan(x)) {
    return mx__nan();
  }
  if (x == -1.0) {
    return 3.141592653589793;
  }
  return 2.0 * mx_atan(sqrt((1.0 - x) / (1.0 + x)));
}
