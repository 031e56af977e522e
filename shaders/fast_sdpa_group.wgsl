// mx.fast.scaled_dot_product_attention for single-token decode with grouped heads: one
// workgroup per (kv head, key chunk) serves all SD_REP query heads that share the kv head, so
// each key and value is read once for the group instead of once per query head. Writes the
// same partials as fast_sdpa_split.wgsl for the combine pass. Hooks as there, plus
// sd_group_rows(g) -> the first query row of kv group g (rows are that + t for t < SD_REP).

var<workgroup> sg_q: array<f32, SD_REP * SD_DM>;
var<workgroup> sg_s: array<f32, SD_REP * SD_CMAX>;

@compute @workgroup_size(SD_WG)
fn sdpa_group(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
              @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.y * nwg.x + wid.x;
  let chunks = sd_chunks();
  let grp = min(g / chunks, sd_groups() - 1u);
  let c = g % chunks;
  let r0 = sd_group_rows(grp);
  let D = sd_d();
  let DV = sd_dv();
  let k0 = c * sd_chunk();
  let n = min(sd_chunk(), sd_lk() - min(k0, sd_lk()));
  for (var i = lid.x; i < SD_REP * D; i += SD_WG) {
    let t = i / D;
    let d = i % D;
    sg_q[t * SD_DM + d] = sd_q(r0 + t, d);
  }
  workgroupBarrier();
  // scores: each thread takes keys j, reads each key once for every head of the group
  var mloc = array<f32, SD_REP>();
  for (var t = 0u; t < SD_REP; t++) {
    mloc[t] = -3.4028234e38;
  }
  for (var j = lid.x; j < n; j += SD_WG) {
    var acc = array<f32, SD_REP>();
    for (var d = 0u; d < D; d++) {
      let kv = sd_k(r0, k0 + j, d);
      for (var t = 0u; t < SD_REP; t++) {
        acc[t] += sg_q[t * SD_DM + d] * kv;
      }
    }
    for (var t = 0u; t < SD_REP; t++) {
      var s = -3.4028234e38;
      if (!sd_dead(r0 + t, k0 + j)) {
        s = sd_score(r0 + t, k0 + j, acc[t]);
      }
      sg_s[t * SD_CMAX + j] = s;
      mloc[t] = max(mloc[t], s);
    }
  }
  var m = array<f32, SD_REP>();
  var l = array<f32, SD_REP>();
  for (var t = 0u; t < SD_REP; t++) {
    m[t] = mxb_fold_row(lid.x, 0u, SD_WG, mloc[t], true);
  }
  for (var t = 0u; t < SD_REP; t++) {
    var lloc = 0.0;
    for (var j = lid.x; j < n; j += SD_WG) {
      let p = exp(sg_s[t * SD_CMAX + j] - m[t]);
      sg_s[t * SD_CMAX + j] = p;
      lloc += p;
    }
    l[t] = mxb_fold_row(lid.x, 0u, SD_WG, lloc, false);
  }
  if (g < sd_groups() * chunks) {
    for (var t = 0u; t < SD_REP; t++) {
      if (lid.x == 0u) {
        let base = ((r0 + t) * chunks + c) * (DV + 2u);
        sd_part(base, m[t]);
        sd_part(base + 1u, l[t]);
      }
    }
    for (var d = lid.x; d < DV; d += SD_WG) {
      var a = array<f32, SD_REP>();
      // values are loaded SD_VU keys at a time, so their latencies overlap
      for (var j0 = 0u; j0 < n; j0 += SD_VU) {
        var vs: array<f32, SD_VU>;
        for (var u = 0u; u < SD_VU; u++) {
          vs[u] = sd_v(r0, k0 + min(j0 + u, n - 1u), d);
        }
        for (var u = 0u; u < SD_VU; u++) {
          if (j0 + u < n) {
            for (var t = 0u; t < SD_REP; t++) {
              // masked keys weigh 0 once the chunk has a live key (inf/NaN values stay out)
              let w = sg_s[t * SD_CMAX + j0 + u];
              if (w != 0.0) {
                a[t] += w * vs[u];
              }
            }
          }
        }
      }
      for (var t = 0u; t < SD_REP; t++) {
        sd_part(((r0 + t) * chunks + c) * (DV + 2u) + 2u + d, a[t]);
      }
    }
  }
}
