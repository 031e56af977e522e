// Tile loads of the matmul templates: a zero outside the matrix, so any M, N, K works.
// They read through the kernel's generated hooks mm_a / mm_b in its alias MA.

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
