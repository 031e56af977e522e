// Tiled quantized matmul (quantizedMatmul with more than 8 rows of x, or transpose false):
// a workgroup of 256 threads computes a 32 x 32 output tile; each K step stages a 32 x 32
// tile of x and of the weights, dequantized on load, in workgroup memory (the float
// weights exist only there); each thread accumulates a 2 x 2 block.
// Hooks: qm_batch() qm_m() qm_n() qm_k() qm_tiles_m() qm_tiles_n(), qm_x(b, m, k) -> f32,
// qm_w(b, k, n) -> f32 (the dequantized weight as a K x N matrix), qm_store(b, m, n, v).

var<workgroup> qt_a: array<f32, 1024>;
var<workgroup> qt_b: array<f32, 1024>;

@compute @workgroup_size(256)
fn qmm_main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
            @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.y * nwg.x + wid.x;
  let tm = qm_tiles_m();
  let tn = qm_tiles_n();
  if (g >= qm_batch() * tm * tn) {
    return;
  }
  let b = g / (tm * tn);
  let t = g % (tm * tn);
  let m0 = (t / tn) * 32u;
  let n0 = (t % tn) * 32u;
  let M = qm_m();
  let N = qm_n();
  let K = qm_k();
  let rm = (lid.x / 16u) * 2u;
  let rn = (lid.x % 16u) * 2u;
  var c00 = 0.0;
  var c01 = 0.0;
  var c10 = 0.0;
  var c11 = 0.0;
  for (var k0 = 0u; k0 < K; k0 += 32u) {
    for (var r = 0u; r < 4u; r++) {
      let i = lid.x + r * 256u;
      let a = i / 32u;
      let kk = i % 32u;
      var xv = 0.0;
      if (m0 + a < M && k0 + kk < K) {
        xv = qm_x(b, m0 + a, k0 + kk);
      }
      qt_a[a * 32u + kk] = xv;
      var wv = 0.0;
      if (n0 + a < N && k0 + kk < K) {
        wv = qm_w(b, k0 + kk, n0 + a);
      }
      qt_b[kk * 32u + a] = wv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 32u; kk++) {
      let a0 = qt_a[rm * 32u + kk];
      let a1 = qt_a[(rm + 1u) * 32u + kk];
      let b0 = qt_b[kk * 32u + rn];
      let b1 = qt_b[kk * 32u + rn + 1u];
      c00 += a0 * b0;
      c01 += a0 * b1;
      c10 += a1 * b0;
      c11 += a1 * b1;
    }
    workgroupBarrier();
  }
  let m = m0 + rm;
  let n = n0 + rn;
  if (m < M && n < N) {
    qm_store(b, m, n, c00);
  }
  if (m < M && n + 1u < N) {
    qm_store(b, m, n + 1u, c01);
  }
  if (m + 1u < M && n < N) {
    qm_store(b, m + 1u, n, c10);
  }
  if (m + 1u < M && n + 1u < N) {
    qm_store(b, m + 1u, n + 1u, c11);
  }
}
