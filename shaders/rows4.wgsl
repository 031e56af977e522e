// The rows of the one-x-row decode GEMVs (gemv4.wgsl, quant_gemv4.wgsl): workgroup g computes
// outputs n0..n0+3 of batch b; rows past the end are clamped to the last one (read again, not
// stored). Hook: r4_store(b, n, v).
struct Rows4 {
  b: u32,
  n0: u32,
  n: vec4<u32>,
}

fn rows4(g: u32, N: u32) -> Rows4 {
  let blocks = (N + 3u) / 4u;
  let n0 = (g % blocks) * 4u;
  return Rows4(g / blocks, n0, min(vec4<u32>(n0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(N - 1u)));
}

// called by threads 0..F4_HOLD-1, each holding the sums t: thread lid stores rows lid, lid + F4_HOLD, ...
fn rows4_store(r: Rows4, N: u32, t: vec4<f32>, lid: u32) {
  for (var j = lid; j < 4u; j += F4_HOLD) {
    if (r.n0 + j < N) {
      r4_store(r.b, r.n0 + j, t[j]);
    }
  }
}
