// Merges the split-key partials of mx.fast.scaled_dot_product_attention (fast_sdpa_split.wgsl,
// fast_sdpa_group.wgsl, fast_sdpa_vec.wgsl: per row and chunk a max, a sum and DV unnormalised
// outputs). A workgroup of CB_G * CB_COLS threads takes CB_COLS output columns of one row: the
// chunks' maxima fold across it, then each of its CB_G groups of CB_COLS lanes walks every
// CB_G-th block of CB_U chunks, a lane per column, with a block's loads in flight together;
// the groups' sums fold through workgroup memory. (One workgroup per row with a column per
// thread kept 32 rows on 32 SMs, 8 chunks' loads in flight: 14 us for 64 chunks on an H100.)
// Hooks: const CB_G, CB_COLS, CB_U; cb_rows(), cb_chunks(), cb_dv(), cb_part(i) -> f32
// (partials), cb_sink(r) (the row's sink logit, or -3.4028234e38), cb_l0() (1.0 with sinks,
// else 0.0), cb_store(r, d, o); mxb_fold_row (rows.wgsl).

var<workgroup> cb_o: array<f32, CB_G * CB_COLS>;
var<workgroup> cb_l: array<f32, CB_G>;

@compute @workgroup_size(CB_G * CB_COLS)
fn sdpa_combine(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
                @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = lid.x;
  let DV = cb_dv();
  let slices = (DV + CB_COLS - 1u) / CB_COLS;
  let g = wid.y * nwg.x + wid.x;
  let r = min(g / slices, cb_rows() - 1u);
  let lane = t % CB_COLS;
  let grp = t / CB_COLS;
  let d = (g % slices) * CB_COLS + lane;
  let dd = min(d, DV - 1u);
  let C = cb_chunks();
  let W = DV + 2u;
  let s0 = cb_sink(r);
  var mloc = s0;
  for (var c = t; c < C; c += CB_G * CB_COLS) {
    mloc = max(mloc, cb_part((r * C + c) * W));
  }
  let m = mxb_fold_row(t, 0u, CB_G * CB_COLS, mloc, true);
  var o = 0.0;
  var l = 0.0;
  for (var c0 = grp * CB_U; c0 < C; c0 += CB_G * CB_U) {
    var ms: array<f32, CB_U>;
    var ls: array<f32, CB_U>;
    var os: array<f32, CB_U>;
    for (var u = 0u; u < CB_U; u++) {
      let at = (r * C + min(c0 + u, C - 1u)) * W;
      ms[u] = cb_part(at);
      ls[u] = cb_part(at + 1u);
      os[u] = cb_part(at + 2u + dd);
    }
    for (var u = 0u; u < CB_U; u++) {
      if (c0 + u < C) {
        let w = exp(ms[u] - m);
        o += w * os[u];
        l += w * ls[u];
      }
    }
  }
  cb_o[t] = o;
  if (lane == 0u) {
    cb_l[grp] = l;
  }
  workgroupBarrier();
  if (grp == 0u && d < DV && g < cb_rows() * slices) {
    var ot = 0.0;
    var lt = cb_l0() * exp(s0 - m);
    for (var j = 0u; j < CB_G; j++) {
      ot += cb_o[j * CB_COLS + lane];
      lt += cb_l[j];
    }
    cb_store(r, d, ot / lt);
  }
}
