// Batched f32 matmul for large products: 128x128 output tiles staged through workgroup
// memory in K steps of 16; each of the 16x8 threads accumulates a 16x8 block in 32 vec4s
// (128 FMAs per 6 shared-memory vec4 loads): rows 32 i + 4 lid.y + e (i, e < 4), columns
// 4 lid.x..+3 and 64 + 4 lid.x..+3, so neighbouring threads read neighbouring vec4s.
// (On an H100 this shape, 128 threads and K steps of 16, ran 4096^3 at 0.62 of the FP32 peak
// where 256 threads with 8x8 blocks ran at 0.57: bench/results/matmul-f32-lab-*-s11.txt.)
// The next K step's values are loaded into registers while the current one is multiplied,
// held in vec4s (a mat4x4 holding them ran 4096^3 at 0.42 of the peak against 0.61).
// Each thread loads 4 x 4 consecutive values per step from A (along K) and from B (along N,
// or along K when MM_BT): mm_a4, mm_b4 and mm_bt4 are one 16-byte load where the inputs are
// stored f32 and every tile lies inside the matrices, else 4 checked loads (edges read zeros,
// so any M, N, K works). Same hooks as matmul.wgsl (with MA = f32), plus those three and
// mm_store8(b, m, n, lo, hi, M, N): columns n..n+3 and n+64..n+67 of row m (mm_store8.wgsl
// where tiles cross the edges, two 16-byte stores where none does). Staging stores:
// matmul_big_put.wgsl.

const MMB_T = 128u;
const MMB_K = 16u;

// A as [k][m / 4], B as [k][n / 4] (16 KB together)
var<workgroup> mmb_as: array<vec4<f32>, 512>;
var<workgroup> mmb_bs: array<vec4<f32>, 512>;

@compute @workgroup_size(16, 8)
fn matmul_big(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32,
              @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let tile = mm_tile(wid.y * nwg.x + wid.x, MMB_T);
  if (tile.x >= mm_batch()) {
    return;
  }
  let b = tile.x;
  let m0 = tile.y;
  let n0 = tile.z;
  let M = mm_m();
  let N = mm_n();
  let K = mm_k();
  // this thread's share of each tile load: rows li / 4 + 32 j of A (and of B^T) at
  // k = 4 (li % 4)..+3; or rows k = li / 32 + 4 j of B at columns 4 (li % 32)..+3
  let lr = li / 4u;
  let lk = (li % 4u) * 4u;
  let bk = li / 32u;
  let bn = (li % 32u) * 4u;
  var c0l = vec4<f32>(0.0);
  var c0h = vec4<f32>(0.0);
  var c1l = vec4<f32>(0.0);
  var c1h = vec4<f32>(0.0);
  var c2l = vec4<f32>(0.0);
  var c2h = vec4<f32>(0.0);
  var c3l = vec4<f32>(0.0);
  var c3h = vec4<f32>(0.0);
  var c4l = vec4<f32>(0.0);
  var c4h = vec4<f32>(0.0);
  var c5l = vec4<f32>(0.0);
  var c5h = vec4<f32>(0.0);
  var c6l = vec4<f32>(0.0);
  var c6h = vec4<f32>(0.0);
  var c7l = vec4<f32>(0.0);
  var c7h = vec4<f32>(0.0);
  var c8l = vec4<f32>(0.0);
  var c8h = vec4<f32>(0.0);
  var c9l = vec4<f32>(0.0);
  var c9h = vec4<f32>(0.0);
  var c10l = vec4<f32>(0.0);
  var c10h = vec4<f32>(0.0);
  var c11l = vec4<f32>(0.0);
  var c11h = vec4<f32>(0.0);
  var c12l = vec4<f32>(0.0);
  var c12h = vec4<f32>(0.0);
  var c13l = vec4<f32>(0.0);
  var c13h = vec4<f32>(0.0);
  var c14l = vec4<f32>(0.0);
  var c14h = vec4<f32>(0.0);
  var c15l = vec4<f32>(0.0);
  var c15h = vec4<f32>(0.0);
  let ktiles = (K + MMB_K - 1u) / MMB_K;
  // the first step's values
  var pa0: vec4<f32>;
  var pa1: vec4<f32>;
  var pa2: vec4<f32>;
  var pa3: vec4<f32>;
  var pb0: vec4<f32>;
  var pb1: vec4<f32>;
  var pb2: vec4<f32>;
  var pb3: vec4<f32>;
  pa0 = mm_a4(b, m0 + lr , lk, M, K);
  pa1 = mm_a4(b, m0 + lr + 32u, lk, M, K);
  pa2 = mm_a4(b, m0 + lr + 64u, lk, M, K);
  pa3 = mm_a4(b, m0 + lr + 96u, lk, M, K);
  if (MM_BT) {
    pb0 = mm_bt4(b, n0 + lr , lk, N, K);
    pb1 = mm_bt4(b, n0 + lr + 32u, lk, N, K);
    pb2 = mm_bt4(b, n0 + lr + 64u, lk, N, K);
    pb3 = mm_bt4(b, n0 + lr + 96u, lk, N, K);
  } else {
    pb0 = mm_b4(b, bk , n0 + bn, K, N);
    pb1 = mm_b4(b, bk + 4u, n0 + bn, K, N);
    pb2 = mm_b4(b, bk + 8u, n0 + bn, K, N);
    pb3 = mm_b4(b, bk + 12u, n0 + bn, K, N);
  }
  for (var kt = 0u; kt < ktiles; kt++) {
    // rows lr + 32 j go 8 j vec4s further along m (or n)
    let si = lk * 32u + lr / 4u;
    let sc = lr % 4u;
    mmb_put_a(si, sc, pa0);
    mmb_put_a(si + 8u, sc, pa1);
    mmb_put_a(si + 16u, sc, pa2);
    mmb_put_a(si + 24u, sc, pa3);
    if (MM_BT) {
      mmb_put_b(si, sc, pb0);
      mmb_put_b(si + 8u, sc, pb1);
      mmb_put_b(si + 16u, sc, pb2);
      mmb_put_b(si + 24u, sc, pb3);
    } else {
      let bi = bk * 32u + bn / 4u;
      mmb_bs[bi] = pb0;
      mmb_bs[bi + 128u] = pb1;
      mmb_bs[bi + 256u] = pb2;
      mmb_bs[bi + 384u] = pb3;
    }
    workgroupBarrier();
    // the next step's loads are in flight while this one is multiplied
    if (kt + 1u < ktiles) {
      let k1 = (kt + 1u) * MMB_K;
      pa0 = mm_a4(b, m0 + lr , k1 + lk, M, K);
      pa1 = mm_a4(b, m0 + lr + 32u, k1 + lk, M, K);
      pa2 = mm_a4(b, m0 + lr + 64u, k1 + lk, M, K);
      pa3 = mm_a4(b, m0 + lr + 96u, k1 + lk, M, K);
      if (MM_BT) {
        pb0 = mm_bt4(b, n0 + lr , k1 + lk, N, K);
        pb1 = mm_bt4(b, n0 + lr + 32u, k1 + lk, N, K);
        pb2 = mm_bt4(b, n0 + lr + 64u, k1 + lk, N, K);
        pb3 = mm_bt4(b, n0 + lr + 96u, k1 + lk, N, K);
      } else {
        pb0 = mm_b4(b, k1 + bk , n0 + bn, K, N);
        pb1 = mm_b4(b, k1 + bk + 4u, n0 + bn, K, N);
        pb2 = mm_b4(b, k1 + bk + 8u, n0 + bn, K, N);
        pb3 = mm_b4(b, k1 + bk + 12u, n0 + bn, K, N);
      }
    }
    for (var kk = 0u; kk < MMB_K; kk++) {
      let a0 = mmb_as[kk * 32u + lid.y];
      let a1 = mmb_as[kk * 32u + 8u + lid.y];
      let a2 = mmb_as[kk * 32u + 16u + lid.y];
      let a3 = mmb_as[kk * 32u + 24u + lid.y];
      let b0 = mmb_bs[kk * 32u + lid.x];
      let b1 = mmb_bs[kk * 32u + 16u + lid.x];
      c0l = fma(vec4<f32>(a0.x), b0, c0l);
      c0h = fma(vec4<f32>(a0.x), b1, c0h);
      c1l = fma(vec4<f32>(a0.y), b0, c1l);
      c1h = fma(vec4<f32>(a0.y), b1, c1h);
      c2l = fma(vec4<f32>(a0.z), b0, c2l);
      c2h = fma(vec4<f32>(a0.z), b1, c2h);
      c3l = fma(vec4<f32>(a0.w), b0, c3l);
      c3h = fma(vec4<f32>(a0.w), b1, c3h);
      c4l = fma(vec4<f32>(a1.x), b0, c4l);
      c4h = fma(vec4<f32>(a1.x), b1, c4h);
      c5l = fma(vec4<f32>(a1.y), b0, c5l);
      c5h = fma(vec4<f32>(a1.y), b1, c5h);
      c6l = fma(vec4<f32>(a1.z), b0, c6l);
      c6h = fma(vec4<f32>(a1.z), b1, c6h);
      c7l = fma(vec4<f32>(a1.w), b0, c7l);
      c7h = fma(vec4<f32>(a1.w), b1, c7h);
      c8l = fma(vec4<f32>(a2.x), b0, c8l);
      c8h = fma(vec4<f32>(a2.x), b1, c8h);
      c9l = fma(vec4<f32>(a2.y), b0, c9l);
      c9h = fma(vec4<f32>(a2.y), b1, c9h);
      c10l = fma(vec4<f32>(a2.z), b0, c10l);
      c10h = fma(vec4<f32>(a2.z), b1, c10h);
      c11l = fma(vec4<f32>(a2.w), b0, c11l);
      c11h = fma(vec4<f32>(a2.w), b1, c11h);
      c12l = fma(vec4<f32>(a3.x), b0, c12l);
      c12h = fma(vec4<f32>(a3.x), b1, c12h);
      c13l = fma(vec4<f32>(a3.y), b0, c13l);
      c13h = fma(vec4<f32>(a3.y), b1, c13h);
      c14l = fma(vec4<f32>(a3.z), b0, c14l);
      c14h = fma(vec4<f32>(a3.z), b1, c14h);
      c15l = fma(vec4<f32>(a3.w), b0, c15l);
      c15h = fma(vec4<f32>(a3.w), b1, c15h);
    }
    workgroupBarrier();
  }
  let m = m0 + lid.y * 4u;
  let n = n0 + lid.x * 4u;
  mm_store8(b, m , n, c0l, c0h, M, N);
  mm_store8(b, m + 1u, n, c1l, c1h, M, N);
  mm_store8(b, m + 2u, n, c2l, c2h, M, N);
  mm_store8(b, m + 3u, n, c3l, c3h, M, N);
  mm_store8(b, m + 32u, n, c4l, c4h, M, N);
  mm_store8(b, m + 33u, n, c5l, c5h, M, N);
  mm_store8(b, m + 34u, n, c6l, c6h, M, N);
  mm_store8(b, m + 35u, n, c7l, c7h, M, N);
  mm_store8(b, m + 64u, n, c8l, c8h, M, N);
  mm_store8(b, m + 65u, n, c9l, c9h, M, N);
  mm_store8(b, m + 66u, n, c10l, c10h, M, N);
  mm_store8(b, m + 67u, n, c11l, c11h, M, N);
  mm_store8(b, m + 96u, n, c12l, c12h, M, N);
  mm_store8(b, m + 97u, n, c13l, c13h, M, N);
  mm_store8(b, m + 98u, n, c14l, c14h, M, N);
  mm_store8(b, m + 99u, n, c15l, c15h, M, N);
}
