// Batched matmul, 64x64 output tiles staged through workgroup memory in K steps of 16;
// each of the 16x16 threads accumulates a 4x4 block. Edges load zeros, so any M, N, K works.
// Hooks: alias MA; mm_a(b, m, k) -> MA, mm_b(b, k, n) -> MA, mm_store(b, m, n, v),
// mm_m, mm_n, mm_k, mm_batch, mm_tiles_m, mm_tiles_n.

const MM_T = 64u;
const MM_K = 16u;

var<workgroup> mm_as: array<MA, 1024>;
var<workgroup> mm_bs: array<MA, 1024>;

@compute @workgroup_size(16, 16)
fn matmul_main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32,
               @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.y * nwg.x + wid.x;
  let tiles_n = mm_tiles_n();
  let per_batch = mm_tiles_m() * tiles_n;
  if (g >= mm_batch() * per_batch) {
    return;
  }
  let b = g / per_batch;
  let m0 = ((g % per_batch) / tiles_n) * MM_T;
  let n0 = (g % tiles_n) * MM_T;
  let M = mm_m();
  let N = mm_n();
  let K = mm_k();
  var acc: array<MA, 16>;
  for (var i = 0u; i < 16u; i++) {
    acc[i] = MA(0);
  }
  let ktiles = (K + MM_K - 1u) / MM_K;
  for (var kt0 = 0u; kt0 < ktiles; kt0 += 32768u) {
    let kt1 = min(kt0 + 32768u, ktiles);
    for (var kt = kt0; kt < kt1; kt++) {
      let k0 = kt * MM_K;
      for (var e = 0u; e < 4u; e++) {
        let idx = li + e * 256u;
        let am = idx / MM_K;
        let ak = idx % MM_K;
        var av = MA(0);
        if (m0 + am < M && k0 + ak < K) {
          av = mm_a(b, m0 + am, k0 + ak);
        }
        mm_as[idx] = av;
        let bk = idx / MM_T;
        let bn = idx % MM_T;
        var bv = MA(0);
        if (k0 + bk < K && n0 + bn < N) {
          bv = mm_b(b, k0 + bk, n0 + bn);
        }
        mm_bs[idx] = bv;
      }
      workgroupBarrier();
      for (var k = 0u; k < MM_K; k++) {
        let a0 = mm_as[(lid.y * 4u) * MM_K + k];
        let a1 = mm_as[(lid.y * 4u + 1u) * MM_K + k];
        let a2 = mm_as[(lid.y * 4u + 2u) * MM_K + k];
        let a3 = mm_as[(lid.y * 4u + 3u) * MM_K + k];
        for (var j = 0u; j < 4u; j++) {
          let bv = mm_bs[k * MM_T + lid.x * 4u + j];
          acc[j] += a0 * bv;
          acc[4u + j] += a1 * bv;
          acc[8u + j] += a2 * bv;
          acc[12u + j] += a3 * bv;
        }
      }
      workgroupBarrier();
    }
  }
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + lid.y * 4u + i;
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + lid.x * 4u + j;
      if (m < M && n < N) {
        mm_store(b, m, n, acc[i * 4u + j]);
      }
    }
  }
}
