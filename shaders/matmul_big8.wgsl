// The 128x128 kernel of matmul_big.wgsl with 8x8 blocks: for adapters whose threads may not
// hold the 16x8 kernel's ~190 live values in registers (Apple and Intel GPUs cap a thread
// near 128); NVIDIA GPUs take the 16x8 one (GpuContext.tuning.bigBlocks, mx.gpu.tuneMatmul).
// Tiles are staged through workgroup memory in K steps of 8; each of the 16x16 threads
// accumulates an 8x8 block in sixteen
// vec4s (64 FMAs per 4 shared-memory vec4 loads): rows 4 lid.y..+3 and 64 + 4 lid.y..+3,
// columns 4 lid.x..+3 and 64 + 4 lid.x..+3, so neighbouring threads read neighbouring vec4s.
// The next K step's values are loaded into registers while the current one is multiplied.
// Each thread loads 4 consecutive values per step from A (along K) and from B (along N, or
// along K when MM_BT): mm_a4, mm_b4 and mm_bt4 are one 16-byte load where the inputs are
// stored f32 and every tile lies inside the matrices, else 4 checked loads (edges read zeros,
// so any M, N, K works). Same hooks as matmul.wgsl (with MA = f32), plus those three and
// mm_store8(b, m, n, lo, hi, M, N): columns n..n+3 and n+64..n+67 of row m (mm_store8.wgsl
// where tiles cross the edges, two 16-byte stores where none does). Staging stores:
// matmul_big_put.wgsl.

const MMB_T = 128u;
const MMB_K = 8u;

// A as [k][m / 4], B as [k][n / 4]
var<workgroup> mmb_as: array<vec4<f32>, 256>;
var<workgroup> mmb_bs: array<vec4<f32>, 256>;

@compute @workgroup_size(16, 16)
fn matmul_big8(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32,
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
  // this thread's share of each tile load: 4 values of A (row li / 2, columns 4 (li % 2) ..)
  // and 4 of B (row li / 32, columns 4 (li % 32) ..)
  let ak = (li % 2u) * 4u;
  let am = li / 2u;
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
  let ktiles = (K + MMB_K - 1u) / MMB_K;
  // the first step's values
  var pa = mm_a4(b, m0 + am, ak, M, K);
  // K-contiguous B (MM_BT): 4 consecutive k (from 4 (li % 2)) of column li / 2 instead
  let tn = li / 2u;
  let tk = (li % 2u) * 4u;
  var pb: vec4<f32>;
  if (MM_BT) {
    pb = mm_bt4(b, n0 + tn, tk, N, K);
  } else {
    pb = mm_b4(b, bk, n0 + bn, K, N);
  }
  for (var kt = 0u; kt < ktiles; kt++) {
    mmb_put_a(ak * 32u + am / 4u, am % 4u, pa);
    if (MM_BT) {
      mmb_put_b(tk * 32u + tn / 4u, tn % 4u, pb);
    } else {
      mmb_bs[bk * 32u + bn / 4u] = pb;
    }
    workgroupBarrier();
    // the next step's loads are in flight while this one is multiplied
    if (kt + 1u < ktiles) {
      let k1 = (kt + 1u) * MMB_K;
      pa = mm_a4(b, m0 + am, k1 + ak, M, K);
      if (MM_BT) {
        pb = mm_bt4(b, n0 + tn, k1 + tk, N, K);
      } else {
        pb = mm_b4(b, k1 + bk, n0 + bn, K, N);
      }
    }
    for (var kk = 0u; kk < MMB_K; kk++) {
        let a0 = mmb_as[kk * 32u + lid.y];
        let a1 = mmb_as[kk * 32u + 16u + lid.y];
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
    }
    workgroupBarrier();
  }
  let m = m0 + lid.y * 4u;
  let n = n0 + lid.x * 4u;
  mm_store8(b, m + 0u, n, c0l, c0h, M, N);
  mm_store8(b, m + 1u, n, c1l, c1h, M, N);
  mm_store8(b, m + 2u, n, c2l, c2h, M, N);
  mm_store8(b, m + 3u, n, c3l, c3h, M, N);
  mm_store8(b, m + 64u, n, c4l, c4h, M, N);
  mm_store8(b, m + 65u, n, c5l, c5h, M, N);
  mm_store8(b, m + 66u, n, c6l, c6h, M, N);
  mm_store8(b, m + 67u, n, c7l, c7h, M, N);
}
