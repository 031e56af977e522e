// Shared parts of the matmul templates: which output tile a workgroup computes, and tile
// loads that give a zero outside the matrix (so any M, N, K works), read through the
// kernel's generated hooks mm_a / mm_b in its alias MA.

// Workgroup g's tile of side T: (batch, first row, first column); the batch is past the
// last one (mm_batch()) for the workgroups a 2-D grid adds beyond the tiles.
fn mm_tile(g: u32, T: u32) -> vec3<u32> {
  let tiles_n = mm_tiles_n();
  let per_batch = mm_tiles_m() * tiles_n;
  return vec3<u32>(g / per_batch, ((g % per_batch) / tiles_n) * T, (g % tiles_n) * T);
}

fn mm_load_a(b: u32, m: u32, k: u32, M: u32, K: u32) -> MA {
  if (m < M && k < K) {
    return mm_a(b, m, k);
  }
  return MA(0);
}

fn mm_load_b(b: u32, k: u32, n: u32, K: u32, N: u32) -> MA {
  if (k < K && n < N) {
    return mm_b(b, k, n);
  }
  return MA(0);
}
