// mx.fast.scaled_dot_product_attention for single-token decode over float16/bfloat16 keys and
// values whose rows are stored contiguously: one workgroup of SV_WG threads per (kv head, chunk
// of SV_CH keys) serves the SD_REP query heads of that kv head. Keys and values are read 16
// bytes a thread at a time with neighbouring threads on neighbouring bytes; the key chunk is
// staged in workgroup memory (rows padded by 16 bytes, so a score thread per key reads without
// bank conflicts) and each thread's values are loaded before the scores, so their latency
// overlaps. Writes the partials of fast_sdpa_split.wgsl for the combine pass.
// Hooks: const SV_WG, SV_CH, SV_L (= D / 8, dividing SV_WG, with SV_WG / SV_L <= SV_CH),
// SD_REP; sd_q, sd_score, sd_dead, sd_lk, sd_chunks, sd_groups, sd_group_rows, sd_part, sd_kvh
// (batch * kv heads + kv head of query row r) as in fast_sdpa_group.wgsl;
// sv_k16(bh, j, p) and sv_v16(bh, j, p) -> vec4<u32> (values 8p..8p+7 of key j, packed);
// sv_dec(w) -> vec2<f32> (a word of two packed values).

const SV_SLOTS: u32 = SV_WG / SV_L;
const SV_VN: u32 = SV_CH / SV_SLOTS;
const SV_KN: u32 = SV_CH * SV_L / SV_WG;
const SV_QN: u32 = (SD_REP * SV_L * 2u + SV_WG - 1u) / SV_WG;

var<workgroup> sv_k: array<vec4<u32>, SV_CH * (SV_L + 1u)>;
var<workgroup> sv_q: array<vec4<f32>, SD_REP * SV_L * 2u>;
var<workgroup> sv_s: array<f32, SD_REP * SV_CH>;
var<workgroup> sv_o: array<vec4<f32>, SV_WG * 4u>;
var<workgroup> sv_f: array<f32, SD_REP * 16u>;
var<workgroup> sv_ml: array<vec2<f32>, SD_REP>;

fn sv_eight(w: vec4<u32>) -> mat2x4<f32> {
  return mat2x4<f32>(vec4<f32>(sv_dec(w.x), sv_dec(w.y)), vec4<f32>(sv_dec(w.z), sv_dec(w.w)));
}

@compute @workgroup_size(SV_WG)
fn sdpa_vec(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
            @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.y * nwg.x + wid.x;
  let chunks = sd_chunks();
  let grp = min(g / chunks, sd_groups() - 1u);
  let c = g % chunks;
  let r0 = sd_group_rows(grp);
  let bh = sd_kvh(r0);
  let k0 = c * SV_CH;
  // c < chunks, so the chunk holds at least one key
  let n = min(SV_CH, sd_lk() - k0);
  let t = lid.x;
  let part = t % SV_L;
  let slot = t / SV_L;
  // the queries' loads go first, so they overlap the keys' and values'
  var qr: array<vec4<f32>, SV_QN>;
  for (var i = 0u; i < SV_QN; i++) {
    let e = min(t + i * SV_WG, SD_REP * SV_L * 2u - 1u);
    let h = e / (SV_L * 2u);
    let d = (e % (SV_L * 2u)) * 4u;
    qr[i] = vec4<f32>(sd_q(r0 + h, d), sd_q(r0 + h, d + 1u), sd_q(r0 + h, d + 2u), sd_q(r0 + h, d + 3u));
  }
  var vr: array<vec4<u32>, SV_VN>;
  for (var i = 0u; i < SV_VN; i++) {
    vr[i] = sv_v16(bh, k0 + min(slot + i * SV_SLOTS, n - 1u), part);
  }
  // all of this thread's key loads are issued before any is stored, so they are in flight
  // together (a store right after each load waits for it: 1.4x slower on an H100)
  var kr: array<vec4<u32>, SV_KN>;
  for (var i = 0u; i < SV_KN; i++) {
    let e = t + i * SV_WG;
    kr[i] = sv_k16(bh, k0 + min(e / SV_L, n - 1u), e % SV_L);
  }
  for (var i = 0u; i < SV_KN; i++) {
    let e = t + i * SV_WG;
    sv_k[(e / SV_L) * (SV_L + 1u) + e % SV_L] = kr[i];
  }
  for (var i = 0u; i < SV_QN; i++) {
    let e = t + i * SV_WG;
    if (e < SD_REP * SV_L * 2u) {
      sv_q[e] = qr[i];
    }
  }
  workgroupBarrier();
  // scores: thread t takes key t % SV_CH for heads t / SV_CH, + SV_WG / SV_CH, ...
  let j = t % SV_CH;
  for (var h = t / SV_CH; h < SD_REP; h += SV_WG / SV_CH) {
    var s = -3.4028234e38;
    if (j < n && !sd_dead(r0 + h, k0 + j)) {
      var acc = 0.0;
      for (var p = 0u; p < SV_L; p++) {
        let e = sv_eight(sv_k[j * (SV_L + 1u) + p]);
        acc += dot(e[0], sv_q[(h * SV_L + p) * 2u]) + dot(e[1], sv_q[(h * SV_L + p) * 2u + 1u]);
      }
      s = sd_score(r0 + h, k0 + j, acc);
    }
    sv_s[h * SV_CH + j] = s;
  }
  workgroupBarrier();
  // per head: 16 threads take SV_CH / 16 scores each (max, then exp and sum), one thread the 16
  let fh = t / 16u;
  let fu = t % 16u;
  let live = fh < SD_REP;
  if (live) {
    var m = -3.4028234e38;
    for (var i = fu; i < n; i += 16u) {
      m = max(m, sv_s[fh * SV_CH + i]);
    }
    sv_f[t] = m;
  }
  workgroupBarrier();
  if (t < SD_REP) {
    var m = -3.4028234e38;
    for (var i = 0u; i < 16u; i++) {
      m = max(m, sv_f[t * 16u + i]);
    }
    sv_ml[t] = vec2<f32>(m, 0.0);
  }
  workgroupBarrier();
  if (live) {
    let m = sv_ml[fh].x;
    var l = 0.0;
    for (var i = fu; i < SV_CH; i += 16u) {
      let p = select(0.0, exp(sv_s[fh * SV_CH + i] - m), i < n);
      sv_s[fh * SV_CH + i] = p;
      l += p;
    }
    sv_f[t] = l;
  }
  workgroupBarrier();
  if (t < SD_REP) {
    var l = 0.0;
    for (var i = 0u; i < 16u; i++) {
      l += sv_f[t * 16u + i];
    }
    sv_ml[t].y = l;
  }
  workgroupBarrier();
  let out = g < sd_groups() * chunks;
  let DV = SV_L * 8u;
  for (var h = 0u; h < SD_REP; h++) {
    let base = ((r0 + h) * chunks + c) * (DV + 2u);
    if (out && t == 0u) {
      sd_part(base, sv_ml[h].x);
      sd_part(base + 1u, sv_ml[h].y);
    }
    // this thread's keys slot, slot + SV_SLOTS, ... over its 8 value columns
    var a = mat2x4<f32>(vec4<f32>(0.0), vec4<f32>(0.0));
    for (var i = 0u; i < SV_VN; i++) {
      let jj = slot + i * SV_SLOTS;
      let w = sv_s[h * SV_CH + min(jj, SV_CH - 1u)];
      // masked keys weigh 0 once the chunk has a live key (inf/NaN values stay out)
      if (jj < n && w != 0.0) {
        let e = sv_eight(vr[i]);
        a = mat2x4<f32>(a[0] + w * e[0], a[1] + w * e[1]);
      }
    }
    // heads alternate between two halves of sv_o, so one barrier per head suffices (head
    // h + 2 writes a half only after every thread has passed head h + 1's barrier)
    let ob = (h % 2u) * SV_WG * 2u;
    sv_o[ob + t * 2u] = a[0];
    sv_o[ob + t * 2u + 1u] = a[1];
    workgroupBarrier();
    // column quads: thread t < 2 SV_L adds the slots' values of quad t
    if (t < SV_L * 2u) {
      var o = vec4<f32>(0.0);
      for (var s = 0u; s < SV_SLOTS; s++) {
        o += sv_o[ob + (s * SV_L + t / 2u) * 2u + t % 2u];
      }
      if (out) {
        for (var e = 0u; e < 4u; e++) {
          sd_part(base + 2u + t * 4u + e, o[e]);
        }
      }
    }
  }
}
