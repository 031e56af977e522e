// Merges the split-key partials of mx.fast.scaled_dot_product_attention (fast_sdpa_split.wgsl,
// fast_sdpa_group.wgsl, fast_sdpa_vec.wgsl: per row and chunk a max, a sum and DV unnormalised
// outputs): one workgroup of CB_WG threads per query row. The chunks' maxima fold across the
// workgroup; then, CB_WG chunks at a time, their weights go to workgroup memory and thread d
// adds column d of those chunks with its loads in flight together.
// Hooks: const CB_WG, CB_DN (columns per thread: DV / CB_WG rounded up); cb_rows(),
// cb_chunks(), cb_dv(), cb_part(i) -> f32 (partials), cb_sink(r) (the row's sink logit, or
// -3.4028234e38), cb_l0() (1.0 with sinks, else 0.0), cb_store(r, d, o); mxb_fold_row
// (rows.wgsl).

var<workgroup> cb_w: array<f32, CB_WG>;

@compute @workgroup_size(CB_WG)
fn sdpa_combine(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
                @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = min(wid.y * nwg.x + wid.x, cb_rows() - 1u);
  let t = lid.x;
  let C = cb_chunks();
  let DV = cb_dv();
  let W = DV + 2u;
  let s0 = cb_sink(r);
  var mloc = s0;
  for (var c = t; c < C; c += CB_WG) {
    mloc = max(mloc, cb_part((r * C + c) * W));
  }
  let m = mxb_fold_row(t, 0u, CB_WG, mloc, true);
  var lloc = 0.0;
  var o: array<f32, CB_DN>;
  for (var c0 = 0u; c0 < C; c0 += CB_WG) {
    // this tile's weights, and each thread's share of the sum
    if (c0 + t < C) {
      let at = (r * C + c0 + t) * W;
      let w = exp(cb_part(at) - m);
      cb_w[t] = w;
      lloc += w * cb_part(at + 1u);
    }
    workgroupBarrier();
    let n = min(CB_WG, C - c0);
    for (var e = 0u; e < CB_DN; e++) {
      let d = t + e * CB_WG;
      if (d < DV) {
        var acc = 0.0;
        for (var c = 0u; c < n; c += 8u) {
          var vs: array<f32, 8>;
          for (var u = 0u; u < 8u; u++) {
            vs[u] = cb_part((r * C + c0 + min(c + u, n - 1u)) * W + 2u + d);
          }
          for (var u = 0u; u < 8u; u++) {
            if (c + u < n) {
              acc += cb_w[c + u] * vs[u];
            }
          }
        }
        o[e] += acc;
      }
    }
    workgroupBarrier();
  }
  let l = mxb_fold_row(t, 0u, CB_WG, lloc, false) + cb_l0() * exp(s0 - m);
  if (wid.y * nwg.x + wid.x < cb_rows()) {
    for (var e = 0u; e < CB_DN; e++) {
      let d = t + e * CB_WG;
      if (d < DV) {
        cb_store(r, d, o[e] / l);
      }
    }
  }
}
