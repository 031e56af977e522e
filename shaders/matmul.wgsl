// Batched matmul: 64x64 output tiles staged through workgroup memory in K steps of 16,
// as vec4s (A by 4 rows, B by 4 columns); each of the 16x16 threads accumulates a 4x4
// block in four vec4s. No private arrays: software drivers compile those very slowly.
// Edges load zeros, so any M, N, K works.
// Hooks: alias MA; const MM_BT: bool (B's K axis is contiguous: tile loads run along K);
// mm_a(b, m, k) -> MA, mm_b(b, k, n) -> MA, mm_store(b, m, n, v),
// mm_m, mm_n, mm_k, mm_batch, mm_tiles_m, mm_tiles_n; loads of 4 consecutive values
// mm_a4(b, m, k, M, K), mm_b4(b, k, n, K, N), mm_bt4(b, n, k, N, K) -> vec4<MA> and the store of
// 4 mm_store4(b, m, n, v, M, N) (mm_store4.wgsl, or 16-byte stores inside whole tiles).

const MM_T = 64u;
const MM_K = 16u;

// [k][m / 4] and [k][n / 4]
var<workgroup> mm_as: array<vec4<MA>, 256>;
var<workgroup> mm_bs: array<vec4<MA>, 256>;

@compute @workgroup_size(16, 16)
fn matmul_main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32,
               @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let tile = mm_tile(wid.y * nwg.x + wid.x, MM_T);
  if (tile.x >= mm_batch()) {
    return;
  }
  let b = tile.x;
  let m0 = tile.y;
  let n0 = tile.z;
  let M = mm_m();
  let N = mm_n();
  let K = mm_k();
  // this thread's share of each tile load: 4 values of A (row li / 4, columns 4 (li % 4) ..)
  // and 4 of B (row li / 16, columns 4 (li % 16) ..; along K when MM_BT)
  let am = li / 4u;
  let ak = (li % 4u) * 4u;
  let lk = li / 16u;
  let l4 = (li % 16u) * 4u;
  var c0 = vec4<MA>(MA(0));
  var c1 = vec4<MA>(MA(0));
  var c2 = vec4<MA>(MA(0));
  var c3 = vec4<MA>(MA(0));
  let ktiles = (K + MM_K - 1u) / MM_K;
  // the next K step's loads are issued before this step's multiply-adds, so their latency
  // overlaps them
  let bn = li / 4u;
  var pa = mm_a4(b, m0 + am, ak, M, K);
  var pb = mm_next_b(b, n0, 0u, bn, ak, lk, l4, N, K);
  for (var kt0 = 0u; kt0 < ktiles; kt0 += 32768u) {
    let kt1 = min(kt0 + 32768u, ktiles);
    for (var kt = kt0; kt < kt1; kt++) {
      for (var j = 0u; j < 4u; j++) {
        mm_as[(ak + j) * 16u + am / 4u][am % 4u] = pa[j];
      }
      if (MM_BT) {
        // K-contiguous B: this thread holds 4 consecutive k of column li / 4
        for (var j = 0u; j < 4u; j++) {
          mm_bs[(ak + j) * 16u + bn / 4u][bn % 4u] = pb[j];
        }
      } else {
        mm_bs[li] = pb;
      }
      workgroupBarrier();
      if (kt + 1u < ktiles) {
        pa = mm_a4(b, m0 + am, (kt + 1u) * MM_K + ak, M, K);
        pb = mm_next_b(b, n0, (kt + 1u) * MM_K, bn, ak, lk, l4, N, K);
      }
      for (var kk = 0u; kk < MM_K; kk++) {
        let a = mm_as[kk * 16u + lid.y];
        let bv = mm_bs[kk * 16u + lid.x];
        c0 += a.x * bv;
        c1 += a.y * bv;
        c2 += a.z * bv;
        c3 += a.w * bv;
      }
      workgroupBarrier();
    }
  }
  let m = m0 + lid.y * 4u;
  let n = n0 + lid.x * 4u;
  mm_store4(b, m, n, c0, M, N);
  mm_store4(b, m + 1u, n, c1, M, N);
  mm_store4(b, m + 2u, n, c2, M, N);
  mm_store4(b, m + 3u, n, c3, M, N);
}

// this thread's 4 values of B for the K step at k0: along K (column n0 + bn) when MM_BT, else
// along N (row k0 + lk)
fn mm_next_b(b: u32, n0: u32, k0: u32, bn: u32, ak: u32, lk: u32, l4: u32, N: u32, K: u32) -> vec4<MA> {
  if (MM_BT) {
    return mm_bt4(b, n0 + bn, k0 + ak, N, K);
  }
  return mm_b4(b, k0 + lk, n0 + l4, K, N);
}
