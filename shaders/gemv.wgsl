// Matrix-vector products (matmul with at most 8 rows in the first operand): one
// workgroup per output column; its 64 threads stride the K axis (so a transposed weight,
// the layout of every Linear layer, is read coalesced), keep the partial sums of up to 8
// rows in two vec4s, and fold them in workgroup memory.
// Hooks: gv_rows() (1..8), gv_k(), gv_n(), gv_batch(), gv_a(b, m, k) -> f32 (0 for m >=
// rows), gv_b(b, k, n) -> f32, gv_store(b, m, n, v: f32).

const GV_T: u32 = 64u;

var<workgroup> gv_lo: array<vec4<f32>, 64>;
var<workgroup> gv_hi: array<vec4<f32>, 64>;

@compute @workgroup_size(64)
fn gemv_main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
             @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.y * nwg.x + wid.x;
  let N = gv_n();
  if (g >= gv_batch() * N) {
    return;
  }
  let b = g / N;
  let n = g % N;
  let K = gv_k();
  let wide = gv_rows() > 4u;
  var lo = vec4<f32>(0.0);
  var hi = vec4<f32>(0.0);
  for (var k = lid.x; k < K; k += GV_T) {
    let w = gv_b(b, k, n);
    lo += w * vec4<f32>(gv_a(b, 0u, k), gv_a(b, 1u, k), gv_a(b, 2u, k), gv_a(b, 3u, k));
    if (wide) {
      hi += w * vec4<f32>(gv_a(b, 4u, k), gv_a(b, 5u, k), gv_a(b, 6u, k), gv_a(b, 7u, k));
    }
  }
  gv_lo[lid.x] = lo;
  gv_hi[lid.x] = hi;
  workgroupBarrier();
  for (var s = GV_T / 2u; s > 0u; s >>= 1u) {
    if (lid.x < s) {
      gv_lo[lid.x] += gv_lo[lid.x + s];
      gv_hi[lid.x] += gv_hi[lid.x + s];
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    let rows = gv_rows();
    for (var m = 0u; m < rows; m++) {
      var v: f32;
      if (m < 4u) {
        v = gv_lo[0][m];
      } else {
        v = gv_hi[0][m - 4u];
      }
      gv_store(b, m, n, v);
    }
  }
}
