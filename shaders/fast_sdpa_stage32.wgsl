// Chunk staging of the flash kernel (fast_sdpa.wgsl) for float32 q, k and v whose rows are
// stored contiguously, with D and Dv multiples of 8: each thread loads 4 values (16 bytes) of
// a row at a time, all its loads before any store, and scatters them into the transposed
// tiles. Hooks: sd_q16(r, p), sd_k16(r, j, p), sd_v16(r, j, p) -> vec4<f32> (values
// 4p..4p+3 of query row r, or of key j of row r's kv head), sd_scale().

fn sd_stage_qk(t: u32, c: u32, rbase: u32, q0: u32, k0: u32, kend: u32, rb: u32) {
  let lq = sd_lq();
  let D = sd_d();
  // Q: 64 rows x 8 quarters of the chunk, 4 per thread; K: 32 keys x 8 quarters, 2 per thread
  let g = t % 8u;
  let p = c * 8u + g;
  let live = p * 4u < D;
  let pc = min(p, D / 4u - 1u);
  var w: array<vec4<f32>, 6>;
  for (var i = 0u; i < 4u; i++) {
    let row = t / 8u + 16u * i;
    w[i] = select(vec4<f32>(0.0), sd_q16(rbase + min(q0 + row, lq - 1u), pc), live);
  }
  for (var i = 0u; i < 2u; i++) {
    let j = k0 + t / 8u + 16u * i;
    w[4u + i] = select(vec4<f32>(0.0), sd_k16(rb, min(j, kend - 1u), pc), live && j < kend);
  }
  let s = sd_scale();
  for (var i = 0u; i < 4u; i++) {
    let row = t / 8u + 16u * i;
    for (var u = 0u; u < 4u; u++) {
      sd_qs[(4u * g + u) * 17u + row / 4u][row % 4u] = w[i][u] * s;
    }
  }
  for (var i = 0u; i < 2u; i++) {
    let key = t / 8u + 16u * i;
    for (var u = 0u; u < 4u; u++) {
      sd_kt[(4u * g + u) * 9u + key / 4u][key % 4u] = w[4u + i][u];
    }
  }
}

fn sd_stage_v(t: u32, c: u32, k0: u32, kend: u32, rb: u32) {
  let DV = sd_dv();
  let g = t % 8u;
  let p = c * 8u + g;
  let pc = min(p, DV / 4u - 1u);
  var w: array<vec4<f32>, 2>;
  for (var i = 0u; i < 2u; i++) {
    let j = k0 + t / 8u + 16u * i;
    w[i] = select(vec4<f32>(0.0), sd_v16(rb, min(j, kend - 1u), pc), p * 4u < DV && j < kend);
  }
  for (var i = 0u; i < 2u; i++) {
    sd_kt[(t / 8u + 16u * i) * 8u + g] = w[i];
  }
}
