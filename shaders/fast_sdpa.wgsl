// mx.fast.scaled_dot_product_attention, prefill: a flash-attention tile kernel. A workgroup of
// 128 threads takes 64 query rows of one (batch, head) and walks the keys in tiles of 32.
// Thread t owns rows 4(t/8)..+3: for the scores, keys 4(t%8)..+3 of the tile (a 4x4 block);
// for the output, dims 4(t%8)..+3 of every 32-dim chunk. Scores are built over 32-dim chunks
// of Q and K^T staged in workgroup memory (vec4 loads: 16 multiply-adds per 2 loads), the
// row maxima of the online softmax are shared through workgroup memory, and P is staged
// transposed so P V reads a vec4 of P and a vec4 of V per 16 multiply-adds. 24 KB of
// workgroup memory. Rows are r = (b * Hq + h) * Lq + i.
// Hooks: const SD_NC, SD_NCV: u32 (32-dim chunks of D and Dv); sd_lq, sd_d, sd_dv, sd_qblocks,
// sd_bh, sd_score(r, j, s) (mask applied), sd_sink(r) (initial max; l starts at sd_l0()),
// sd_kend(r_last) (keys a row block needs), sd_store(r, d, o); and the chunk staging of
// fast_sdpa_stage.wgsl (element by element) or fast_sdpa_stage16.wgsl (16-byte loads).

const SD_NEG: f32 = -3.4028234e38;
// Q^T chunk: (d, row quad) -> vec4 of the quad's values, 17 quads per d (padding)
var<workgroup> sd_qs: array<vec4<f32>, 544>;
// K^T chunk: (d, key quad) -> vec4, 9 quads per d; reused for V chunks: (key, dim quad) -> vec4
var<workgroup> sd_kt: array<vec4<f32>, 288>;
// P^T tile: (key, row quad) -> vec4, 17 quads per key
var<workgroup> sd_pt: array<vec4<f32>, 544>;
// per-row partial maxima of the 8 threads sharing a row
var<workgroup> sd_red: array<f32, 512>;

@compute @workgroup_size(128)
fn sdpa_flash(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wid: vec3<u32>,
              @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.y * nwg.x + wid.x;
  if (g >= sd_qblocks() * sd_bh()) {
    return;
  }
  let qb = g % sd_qblocks();
  let bh = g / sd_qblocks();
  let lq = sd_lq();
  let D = sd_d();
  let DV = sd_dv();
  let q0 = qb * 64u;
  let rq = t / 8u;
  let lane = t % 8u;
  let i0 = q0 + 4u * rq;
  var r: array<u32, 4>;
  for (var i = 0u; i < 4u; i++) {
    r[i] = bh * lq + min(i0 + i, lq - 1u);
  }
  // the first row of the block names the kv head (all rows share it)
  let rb = bh * lq + min(q0, lq - 1u);
  var acc: array<vec4<f32>, 4u * SD_NCV>;
  for (var c = 0u; c < 4u * SD_NCV; c++) {
    acc[c] = vec4<f32>(0.0);
  }
  var m = vec4<f32>(sd_sink(r[0]), sd_sink(r[1]), sd_sink(r[2]), sd_sink(r[3]));
  var l = vec4<f32>(sd_l0());
  // the same for the whole workgroup: keys past the last row's causal limit are skipped
  let kend = sd_kend(bh * lq + min(q0 + 64u, lq) - 1u);
  for (var k0 = 0u; k0 < kend; k0 += 32u) {
    // s[i] = scores of row i against keys 4 lane..+3
    var s: array<vec4<f32>, 4>;
    for (var i = 0u; i < 4u; i++) {
      s[i] = vec4<f32>(0.0);
    }
    for (var c = 0u; c < SD_NC; c++) {
      workgroupBarrier();
      sd_stage_qk(t, c, bh * lq, q0, k0, kend, rb);
      workgroupBarrier();
      for (var d = 0u; d < 32u; d++) {
        let q = sd_qs[d * 17u + rq];
        let kk = sd_kt[d * 9u + lane];
        s[0] += q.x * kk;
        s[1] += q.y * kk;
        s[2] += q.z * kk;
        s[3] += q.w * kk;
      }
    }
    // mask, then the tile's row maxima
    for (var i = 0u; i < 4u; i++) {
      var mx = SD_NEG;
      for (var u = 0u; u < 4u; u++) {
        let j = k0 + 4u * lane + u;
        if (j < kend) {
          s[i][u] = sd_score(r[i], j, s[i][u]);
          mx = max(mx, s[i][u]);
        }
      }
      sd_red[(4u * rq + i) * 8u + lane] = mx;
    }
    workgroupBarrier();
    var n = m;
    for (var i = 0u; i < 4u; i++) {
      for (var u = 0u; u < 8u; u++) {
        n[i] = max(n[i], sd_red[(4u * rq + i) * 8u + u]);
      }
    }
    for (var u = 0u; u < 4u; u++) {
      let j = k0 + 4u * lane + u;
      var p = vec4<f32>(0.0);
      if (j < kend) {
        p = exp(vec4<f32>(s[0][u], s[1][u], s[2][u], s[3][u]) - n);
      }
      sd_pt[(4u * lane + u) * 17u + rq] = p;
    }
    let cs = exp(m - n);
    m = n;
    l *= cs;
    for (var c = 0u; c < SD_NCV; c++) {
      for (var i = 0u; i < 4u; i++) {
        acc[4u * c + i] *= cs[i];
      }
    }
    for (var c = 0u; c < SD_NCV; c++) {
      workgroupBarrier();
      sd_stage_v(t, c, k0, kend, rb);
      workgroupBarrier();
      var a0 = acc[4u * c];
      var a1 = acc[4u * c + 1u];
      var a2 = acc[4u * c + 2u];
      var a3 = acc[4u * c + 3u];
      for (var j = 0u; j < 32u; j++) {
        let vv = sd_kt[j * 8u + lane];
        let p = sd_pt[j * 17u + rq];
        a0 += p.x * vv;
        a1 += p.y * vv;
        a2 += p.z * vv;
        a3 += p.w * vv;
        if (c == 0u) {
          l += p;
        }
      }
      acc[4u * c] = a0;
      acc[4u * c + 1u] = a1;
      acc[4u * c + 2u] = a2;
      acc[4u * c + 3u] = a3;
    }
  }
  for (var c = 0u; c < SD_NCV; c++) {
    for (var u = 0u; u < 4u; u++) {
      let d = c * 32u + 4u * lane + u;
      if (d < DV) {
        for (var i = 0u; i < 4u; i++) {
          if (i0 + i < lq) {
            sd_store(r[i], d, acc[4u * c + i][u] / l[i]);
          }
        }
      }
    }
  }
}
