// Chunk staging of the flash kernel (fast_sdpa.wgsl), element by element through the hooks
// sd_q(r, d) (scaled), sd_k(r, j, d), sd_v(r, j, d): any dtype and layout.

// 32-dim chunk c of Q^T for rows q0.. of row base rbase, and of K^T for keys k0..k0+31
fn sd_stage_qk(t: u32, c: u32, rbase: u32, q0: u32, k0: u32, kend: u32, rb: u32) {
  let lq = sd_lq();
  let D = sd_d();
  for (var e = t; e < 512u; e += 128u) {
    let d = e % 32u;
    let p = e / 32u;
    let dd = c * 32u + d;
    var v = vec4<f32>(0.0);
    if (dd < D) {
      for (var u = 0u; u < 4u; u++) {
        v[u] = sd_q(rbase + min(q0 + 4u * p + u, lq - 1u), dd);
      }
    }
    sd_qs[d * 17u + p] = v;
  }
  for (var e = t; e < 256u; e += 128u) {
    let d = e % 32u;
    let kq = e / 32u;
    let dd = c * 32u + d;
    let j = k0 + 4u * kq;
    var v = vec4<f32>(0.0);
    if (dd < D) {
      for (var u = 0u; u < 4u; u++) {
        if (j + u < kend) {
          v[u] = sd_k(rb, j + u, dd);
        }
      }
    }
    sd_kt[d * 9u + kq] = v;
  }
}

// 32-dim chunk c of V for keys k0..k0+31, as (key, dim quad)
fn sd_stage_v(t: u32, c: u32, k0: u32, kend: u32, rb: u32) {
  let DV = sd_dv();
  for (var e = t; e < 256u; e += 128u) {
    let j = e / 8u;
    let dq = e % 8u;
    var v = vec4<f32>(0.0);
    if (k0 + j < kend) {
      for (var u = 0u; u < 4u; u++) {
        let dd = c * 32u + 4u * dq + u;
        if (dd < DV) {
          v[u] = sd_v(rb, k0 + j, dd);
        }
      }
    }
    sd_kt[j * 8u + dq] = v;
  }
}
