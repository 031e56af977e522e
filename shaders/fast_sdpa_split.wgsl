// mx.fast.scaled_dot_product_attention, few query rows (decode): one workgroup per
// (row, key chunk of sd_chunk() keys) writes a partial (max, sum, unnormalised output) that
// a combine pass merges. Hooks as in fast_sdpa.wgsl plus const SD_WG, SD_CMAX: u32;
// sd_rows, sd_chunks, sd_chunk, sd_part(at, v) (stores one f32 of the partials).

var<workgroup> sp_q: array<f32, SD_DM>;
var<workgroup> sp_s: array<f32, SD_CMAX>;

@compute @workgroup_size(SD_WG)
fn sdpa_split(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
              @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.y * nwg.x + wid.x;
  let chunks = sd_chunks();
  let r = min(g / chunks, sd_rows() - 1u);
  let c = g % chunks;
  let D = sd_d();
  let DV = sd_dv();
  let k0 = c * sd_chunk();
  let n = min(sd_chunk(), sd_lk() - min(k0, sd_lk()));
  for (var d = lid.x; d < D; d += SD_WG) {
    sp_q[d] = sd_q(r, d);
  }
  workgroupBarrier();
  var mloc = -3.4028234e38;
  for (var j = lid.x; j < n; j += SD_WG) {
    var s = -3.4028234e38;
    if (!sd_dead(r, k0 + j)) {
      var dotqk = 0.0;
      for (var d = 0u; d < D; d++) {
        dotqk += sp_q[d] * sd_k(r, k0 + j, d);
      }
      s = sd_score(r, k0 + j, dotqk);
    }
    sp_s[j] = s;
    mloc = max(mloc, s);
  }
  let m = mxb_fold_row(lid.x, 0u, SD_WG, mloc, true);
  var lloc = 0.0;
  for (var j = lid.x; j < n; j += SD_WG) {
    let p = exp(sp_s[j] - m);
    sp_s[j] = p;
    lloc += p;
  }
  let l = mxb_fold_row(lid.x, 0u, SD_WG, lloc, false);
  let base = g * (DV + 2u);
  if (g < sd_rows() * chunks) {
    if (lid.x == 0u) {
      sd_part(base, m);
      sd_part(base + 1u, l);
    }
    for (var d = lid.x; d < DV; d += SD_WG) {
      var a = 0.0;
      // values are loaded SD_VU keys at a time, so their latencies overlap
      for (var j0 = 0u; j0 < n; j0 += SD_VU) {
        var vs: array<f32, SD_VU>;
        for (var u = 0u; u < SD_VU; u++) {
          vs[u] = sd_v(r, k0 + min(j0 + u, n - 1u), d);
        }
        for (var u = 0u; u < SD_VU; u++) {
          // masked keys weigh 0 once the chunk has a live key (inf/NaN values stay out)
          let w = sp_s[min(j0 + u, n - 1u)];
          if (j0 + u < n && w != 0.0) {
            a += w * vs[u];
          }
        }
      }
      sd_part(base + 2u + d, a);
    }
  }
}
