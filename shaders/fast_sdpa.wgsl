// mx.fast.scaled_dot_product_attention, prefill: a flash-attention tile kernel. A workgroup of
// 128 threads takes 32 query rows of one (batch, head) and walks the keys in tiles of 32.
// Thread t owns rows 2(t/8) and 2(t/8)+1: for the scores, keys 4(t%8)..+3 of the tile; for the
// output, dims 4(t%8)..+3 of every 32-dim chunk. Scores are built over 32-dim chunks of Q and
// K^T staged in workgroup memory, the row max is shared through workgroup memory, and
// P (exp'd scores) is staged so P V reads V chunks as vec4s. About 14 KB of workgroup memory.
// Rows are r = (b * Hq + h) * Lq + i.
// Hooks: const SD_NC, SD_NCV: u32 (32-dim chunks of D and Dv); sd_lq, sd_d, sd_dv, sd_qblocks,
// sd_q(r, d) (scaled), sd_k(r, j, d), sd_v(r, j, d), sd_score(r, j, s) (mask applied),
// sd_sink(r) (initial max; l starts at sd_l0()), sd_kend(r_last) (keys a row block needs),
// sd_store(r, d, o).

const SD_NEG: f32 = -3.4028234e38;
// Q^T chunk: (d, row pair) -> vec2 of the pair's values, rows padded to 17 pairs
var<workgroup> sd_qs: array<vec2<f32>, 544>;
// K^T chunk: (d, key quad) -> vec4, 9 quads per d; reused for V chunks: (key, dim quad) -> vec4
var<workgroup> sd_kt: array<vec4<f32>, 288>;
// P tile: (row, key), rows padded to 33
var<workgroup> sd_p: array<f32, 1056>;
// per-row partial maxima of the 8 threads sharing a row
var<workgroup> sd_red: array<f32, 256>;

@compute @workgroup_size(128)
fn sdpa_flash(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wid: vec3<u32>,
              @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.y * nwg.x + wid.x;
  if (g >= sd_qblocks() * sd_bh()) {
    return;
  }
  let qb = g % sd_qblocks();
  let bh = g / sd_qblocks();
  let lq = sd_lq();
  let D = sd_d();
  let DV = sd_dv();
  let q0 = qb * 32u;
  let rp = t / 8u;
  let lane = t % 8u;
  let i0 = q0 + 2u * rp;
  let r0 = bh * lq + min(i0, lq - 1u);
  let r1 = bh * lq + min(i0 + 1u, lq - 1u);
  // the first row of the block names the kv head (all rows share it)
  let rb = bh * lq + min(q0, lq - 1u);
  var acc: array<vec4<f32>, 2u * SD_NCV>;
  for (var c = 0u; c < 2u * SD_NCV; c++) {
    acc[c] = vec4<f32>(0.0);
  }
  var m0 = sd_sink(r0);
  var m1 = sd_sink(r1);
  var l0 = sd_l0();
  var l1 = sd_l0();
  // the same for the whole workgroup: keys past the last row's causal limit are skipped
  let kend = sd_kend(bh * lq + min(q0 + 32u, lq) - 1u);
  for (var k0 = 0u; k0 < kend; k0 += 32u) {
    var s0 = vec4<f32>(0.0);
    var s1 = vec4<f32>(0.0);
    for (var c = 0u; c < SD_NC; c++) {
      workgroupBarrier();
      for (var e = t; e < 512u; e += 128u) {
        let d = e % 32u;
        let p = e / 32u;
        let dd = c * 32u + d;
        var v = vec2<f32>(0.0);
        if (dd < D) {
          v = vec2<f32>(sd_q(bh * lq + min(q0 + 2u * p, lq - 1u), dd), sd_q(bh * lq + min(q0 + 2u * p + 1u, lq - 1u), dd));
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
      workgroupBarrier();
      for (var d = 0u; d < 32u; d++) {
        let q = sd_qs[d * 17u + rp];
        let kk = sd_kt[d * 9u + lane];
        s0 += q.x * kk;
        s1 += q.y * kk;
      }
    }
    // mask, then the tile's row maxima
    var mx0 = SD_NEG;
    var mx1 = SD_NEG;
    for (var u = 0u; u < 4u; u++) {
      let j = k0 + 4u * lane + u;
      if (j < kend) {
        s0[u] = sd_score(r0, j, s0[u]);
        s1[u] = sd_score(r1, j, s1[u]);
        mx0 = max(mx0, s0[u]);
        mx1 = max(mx1, s1[u]);
      }
    }
    sd_red[(2u * rp) * 8u + lane] = mx0;
    sd_red[(2u * rp + 1u) * 8u + lane] = mx1;
    workgroupBarrier();
    var n0 = m0;
    var n1 = m1;
    for (var u = 0u; u < 8u; u++) {
      n0 = max(n0, sd_red[(2u * rp) * 8u + u]);
      n1 = max(n1, sd_red[(2u * rp + 1u) * 8u + u]);
    }
    for (var u = 0u; u < 4u; u++) {
      let j = k0 + 4u * lane + u;
      var p0 = 0.0;
      var p1 = 0.0;
      if (j < kend) {
        p0 = exp(s0[u] - n0);
        p1 = exp(s1[u] - n1);
      }
      sd_p[(2u * rp) * 33u + 4u * lane + u] = p0;
      sd_p[(2u * rp + 1u) * 33u + 4u * lane + u] = p1;
    }
    let c0 = exp(m0 - n0);
    let c1 = exp(m1 - n1);
    m0 = n0;
    m1 = n1;
    l0 *= c0;
    l1 *= c1;
    for (var c = 0u; c < SD_NCV; c++) {
      acc[2u * c] *= c0;
      acc[2u * c + 1u] *= c1;
    }
    for (var c = 0u; c < SD_NCV; c++) {
      workgroupBarrier();
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
      workgroupBarrier();
      var a0 = acc[2u * c];
      var a1 = acc[2u * c + 1u];
      for (var j = 0u; j < 32u; j++) {
        let vv = sd_kt[j * 8u + lane];
        let p0 = sd_p[(2u * rp) * 33u + j];
        let p1 = sd_p[(2u * rp + 1u) * 33u + j];
        a0 += p0 * vv;
        a1 += p1 * vv;
        if (c == 0u) {
          l0 += p0;
          l1 += p1;
        }
      }
      acc[2u * c] = a0;
      acc[2u * c + 1u] = a1;
    }
  }
  for (var c = 0u; c < SD_NCV; c++) {
    for (var u = 0u; u < 4u; u++) {
      let d = c * 32u + 4u * lane + u;
      if (d < DV) {
        if (i0 < lq) {
          sd_store(r0, d, acc[2u * c][u] / l0);
        }
        if (i0 + 1u < lq) {
          sd_store(r1, d, acc[2u * c + 1u][u] / l1);
        }
      }
    }
  }
}
