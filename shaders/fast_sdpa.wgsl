// mx.fast.scaled_dot_product_attention, prefill: one thread per query row, SD_BQ rows of one
// (batch, head) per workgroup; K/V tiles of SD_BK keys are staged in workgroup memory and
// folded with an online softmax. Rows are r = (b * Hq + h) * Lq + i.
// Hooks: const SD_BQ, SD_BK, SD_DM: u32; sd_lq, sd_lk, sd_d, sd_dv, sd_qblocks,
// sd_q(r, d) (scaled), sd_k(r, j, d), sd_v(r, j, d), sd_score(r, j, s) (mask applied),
// sd_sink(r) (initial max; l starts at sd_l0()), sd_kend(r_last) (keys a row block needs),
// sd_store(r, d, o).

var<workgroup> sd_kt: array<f32, SD_BK * SD_DM>;
var<workgroup> sd_vt: array<f32, SD_BK * SD_DM>;

@compute @workgroup_size(SD_BQ)
fn sdpa_flash(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
              @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.y * nwg.x + wid.x;
  let qb = g % sd_qblocks();
  let bh = g / sd_qblocks();
  let lq = sd_lq();
  let i = qb * SD_BQ + lid.x;
  let ok = i < lq;
  let r = bh * lq + min(i, lq - 1u);
  let D = sd_d();
  let DV = sd_dv();
  var qv: array<f32, SD_DM>;
  var acc: array<f32, SD_DM>;
  for (var d = 0u; d < D; d++) {
    qv[d] = sd_q(r, d);
  }
  for (var d = 0u; d < DV; d++) {
    acc[d] = 0.0;
  }
  var m = sd_sink(r);
  var l = sd_l0();
  // the same for the whole workgroup: keys past the last row's causal limit are skipped
  let kend = sd_kend(bh * lq + min(qb * SD_BQ + SD_BQ, lq) - 1u);
  for (var k0 = 0u; k0 < kend; k0 += SD_BK) {
    for (var e = lid.x; e < SD_BK * D; e += SD_BQ) {
      let j = e / D;
      var val = 0.0;
      if (k0 + j < kend) {
        val = sd_k(r, k0 + j, e % D);
      }
      sd_kt[j * SD_DM + e % D] = val;
    }
    for (var e = lid.x; e < SD_BK * DV; e += SD_BQ) {
      let j = e / DV;
      var val = 0.0;
      if (k0 + j < kend) {
        val = sd_v(r, k0 + j, e % DV);
      }
      sd_vt[j * SD_DM + e % DV] = val;
    }
    workgroupBarrier();
    if (ok) {
      let n = min(SD_BK, kend - k0);
      for (var jj = 0u; jj < n; jj++) {
        var s = 0.0;
        for (var d = 0u; d < D; d++) {
          s += qv[d] * sd_kt[jj * SD_DM + d];
        }
        s = sd_score(r, k0 + jj, s);
        let mn = max(m, s);
        let c = exp(m - mn);
        let p = exp(s - mn);
        l = l * c + p;
        for (var d = 0u; d < DV; d++) {
          acc[d] = acc[d] * c + p * sd_vt[jj * SD_DM + d];
        }
        m = mn;
      }
    }
    workgroupBarrier();
  }
  if (ok) {
    for (var d = 0u; d < DV; d++) {
      sd_store(r, d, acc[d] / l);
    }
  }
}
