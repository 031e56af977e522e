// Decode GEMV against float weight rows W [N, K] and one row of x: a workgroup of F4_T threads
// computes 4 outputs. Each thread takes 8 values (16 bytes at f16/bf16) of all 4 rows at a
// time, so each x load serves four rows; the sums fold across the workgroup with fold4_sum
// (fold4.wgsl, fold4_sg.wgsl or fold4_sgf.wgsl), whose sum threads 0..F4_HOLD-1 hold and store.
// Hooks: const F4_T, and those of gemv_t.wgsl (gt_n, gt_chunks, gt_batch, gt_w8, gt_x8 with
// m = 0), r4_store(b, n, v) (rows4.wgsl).

@compute @workgroup_size(F4_T)
fn gemv4(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
         @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.y * nwg.x + wid.x;
  let N = gt_n();
  let r = rows4(g, N);
  let b = r.b;
  let n0 = r.n.x;
  let n1 = r.n.y;
  let n2 = r.n.z;
  let n3 = r.n.w;
  let live = b < gt_batch();
  var d0 = vec4<f32>(0.0);
  var d1 = vec4<f32>(0.0);
  var d2 = vec4<f32>(0.0);
  var d3 = vec4<f32>(0.0);
  if (live) {
    let Q = gt_chunks();
    for (var q = lid.x; q < Q; q += F4_T) {
      let w0 = gt_w8(b, n0, q);
      let w1 = gt_w8(b, n1, q);
      let w2 = gt_w8(b, n2, q);
      let w3 = gt_w8(b, n3, q);
      let x = gt_x8(b, 0u, q);
      d0 = fma(w0[1], x[1], fma(w0[0], x[0], d0));
      d1 = fma(w1[1], x[1], fma(w1[0], x[0], d1));
      d2 = fma(w2[1], x[1], fma(w2[0], x[0], d2));
      d3 = fma(w3[1], x[1], fma(w3[0], x[0], d3));
    }
  }
  let one = vec4<f32>(1.0);
  let t = fold4_sum(lid.x, vec4<f32>(dot(d0, one), dot(d1, one), dot(d2, one), dot(d3, one)));
  if (live && lid.x < F4_HOLD) {
    rows4_store(r, N, t, lid.x);
  }
}
