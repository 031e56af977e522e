// Batched matmul on subgroup matrices (tensor cores, Apple simdgroup matrices). 128 threads =
// 2x2 subgroups of 32; each subgroup accumulates SM_R x SM_R result matrices of SM_M x SM_N
// (f32), so a workgroup computes a SM_TILE x SM_TILE output tile (SM_TILE = 2 SM_R SM_M; SM_R
// is 4, or 2 where 4 would leave the GPU short of tiles). A and B tiles are staged in
// workgroup memory as SM_T in K steps of SM_BK through sm_a4 / sm_b4 / sm_bt4 (4 values each:
// checked loads that read zeros past the edges, or in whole tiles vector loads), so any
// M, N, K works. Results go through a per-subgroup staging matrix to mm_store (which applies
// any epilogue and skips what lies outside the M x N result).
// Hooks: alias MA (f32); SM_T, SM_LEFT, SM_RIGHT, SM_RESULT; consts SM_M, SM_N, SM_K, SM_R,
// SM_TILE, SM_BK, SM_SA, SM_SB, SM_BS_LEN, SM_PREFETCH: bool; sm_mma(sg, &acc) (one K step's
// products of subgroup sg), sm_finish(b, m, n, sg, lane, M, N, &acc) (sm_stage of each result),
// sm_store_c(off, c) (majorness and builtin spelling chosen for the device);
// sm_a4(b, m, k, M, K), sm_b4(b, k, n, K, N),
// sm_bt4(b, n, k, N, K) -> vec4<SM_T>; MM_BT; mm_store, mm_m, mm_n, mm_k, mm_batch,
// mm_tiles_m, mm_tiles_n as in matmul.wgsl; sm_fetch_b(b, n0, k0, li, N, K) and sm_put_b(li)
// (B's share of a prefetched K step: matmul_sm_b.wgsl, or matmul_sm_bq.wgsl for packed weights).
enable chromium_experimental_subgroup_matrix;
enable subgroups;
// offsets derive from subgroup_id, uniform in each subgroup (WGSL's analysis is per workgroup)
diagnostic(off, chromium_experimental.subgroup_matrix_uniformity);

// A tile [SM_TILE][SM_BK]; B tile [SM_BK][SM_TILE], or [SM_TILE][SM_BK] when MM_BT; rows
// SM_SA / SM_SB apart (16 bytes of padding: unpadded rows measured 1.6x slower on an H100)
var<workgroup> sm_as: array<SM_T, SM_TILE * SM_SA>;
var<workgroup> sm_bs: array<SM_T, SM_BS_LEN>;
// one SM_M x SM_N result matrix per subgroup on its way out
var<workgroup> sm_cs: array<f32, 4u * SM_M * SM_N>;

// With SM_PREFETCH the next K step's loads go to registers before this step's multiplies, so
// they are in flight meanwhile: faster for 4-bit weights dequantized as they load (H100,
// [512, 2048] @ W^T: 15.2 TFLOP/s without, 19.5-35 with, over separate calls), slower for
// plain float16 (132 -> 105 TFLOP/s at 4096^3, same call)
const SM_LOADS: u32 = SM_TILE * SM_BK / 512u;
var<private> sm_ra: array<vec4<SM_T>, SM_LOADS>;

fn sm_fetch(b: u32, m0: u32, n0: u32, k0: u32, li: u32, M: u32, N: u32, K: u32) {
  let q = SM_BK / 4u;
  for (var j = 0u; j < SM_LOADS; j++) {
    let i = li + j * 128u;
    sm_ra[j] = sm_a4(b, m0 + i / q, k0 + (i % q) * 4u, M, K);
  }
  sm_fetch_b(b, n0, k0, li, N, K);
}

fn sm_put(li: u32) {
  let q = SM_BK / 4u;
  for (var j = 0u; j < SM_LOADS; j++) {
    let i = li + j * 128u;
    let ia = (i / q) * SM_SA + (i % q) * 4u;
    let pa = sm_ra[j];
    sm_as[ia] = pa.x;
    sm_as[ia + 1u] = pa.y;
    sm_as[ia + 2u] = pa.z;
    sm_as[ia + 3u] = pa.w;
  }
  sm_put_b(li);
}

fn sm_stage(b: u32, m: u32, n: u32, sg: u32, lane: u32, c: SM_RESULT, M: u32, N: u32) {
  sm_store_c(sg * SM_M * SM_N, c);
  workgroupBarrier();
  for (var e = lane; e < SM_M * SM_N; e += 32u) {
    let r = m + e / SM_N;
    let q = n + e % SM_N;
    if (r < M && q < N) {
      mm_store(b, r, q, MA(sm_cs[sg * SM_M * SM_N + e]));
    }
  }
  workgroupBarrier();
}

@compute @workgroup_size(128)
fn matmul_sm(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>,
             @builtin(num_workgroups) nwg: vec3<u32>, @builtin(subgroup_id) sg: u32,
             @builtin(subgroup_invocation_id) lane: u32) {
  let tile = mm_tile(wid.y * nwg.x + wid.x, SM_TILE);
  if (tile.x >= mm_batch()) {
    return;
  }
  let b = tile.x;
  let m0 = tile.y;
  let n0 = tile.z;
  let M = mm_m();
  let N = mm_n();
  let K = mm_k();
  // this subgroup's quarter of the tile
  let sm = (sg / 2u) * SM_R * SM_M;
  let sn = (sg % 2u) * SM_R * SM_N;
  // this subgroup's SM_R x SM_R result matrices, row by row
  var acc: array<SM_RESULT, SM_R * SM_R>;
  let q = SM_BK / 4u;
  if (SM_PREFETCH) {
    sm_fetch(b, m0, n0, 0u, li, M, N, K);
    sm_put(li);
    workgroupBarrier();
  }
  for (var k0 = 0u; k0 < K; k0 += SM_BK) {
    let more = k0 + SM_BK < K;
    if (SM_PREFETCH) {
      if (more) {
        sm_fetch(b, m0, n0, k0 + SM_BK, li, M, N, K);
      }
    } else {
      // 4 consecutive values per load: A along K; B along N, or along K when MM_BT (written
      // out here: the same loads and stores through helper functions ran 93, not 133 TFLOP/s)
      for (var j = 0u; j < SM_TILE * SM_BK / 512u; j++) {
        let i = li + j * 128u;
        let r = i / q;
        let kq = (i % q) * 4u;
        let pa = sm_a4(b, m0 + r, k0 + kq, M, K);
        let ia = r * SM_SA + kq;
        sm_as[ia] = pa.x;
        sm_as[ia + 1u] = pa.y;
        sm_as[ia + 2u] = pa.z;
        sm_as[ia + 3u] = pa.w;
        if (MM_BT) {
          let pb = sm_bt4(b, n0 + r, k0 + kq, N, K);
          let it = r * SM_SB + kq;
          sm_bs[it] = pb.x;
          sm_bs[it + 1u] = pb.y;
          sm_bs[it + 2u] = pb.z;
          sm_bs[it + 3u] = pb.w;
        } else {
          let kr = i / (SM_TILE / 4u);
          let nq = (i % (SM_TILE / 4u)) * 4u;
          let pb = sm_b4(b, k0 + kr, n0 + nq, K, N);
          let ib = kr * SM_SB + nq;
          sm_bs[ib] = pb.x;
          sm_bs[ib + 1u] = pb.y;
          sm_bs[ib + 2u] = pb.z;
          sm_bs[ib + 3u] = pb.w;
        }
      }
      workgroupBarrier();
    }
    sm_mma(sg, &acc);
    workgroupBarrier();
    if (SM_PREFETCH) {
      if (more) {
        sm_put(li);
      }
      workgroupBarrier();
    }
  }
  sm_finish(b, m0 + sm, n0 + sn, sg, lane, M, N, &acc);
}
