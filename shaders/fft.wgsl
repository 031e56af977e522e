// One pass of a power-of-two complex FFT (src/fft/pairs_gpu.ts). A workgroup holds FF_L
// complex values in its memory: FF_L / R sub-transforms of length R = ff_len(), each
// loaded by ff_load (which applies the pass's global twiddles), transformed by Stockham
// radix-4 steps (one radix-2 step first when log2(R) is odd) and written by ff_store.
// Hooks: const FF_L: u32 (a power of two >= 4); const FF_WG: u32 (threads, FF_L / 4 at
// most); ff_len() -> u32; ff_count() -> u32 (sub-transforms in all); ff_rfast() -> u32
// (load with r fastest, else sub-transform fastest); ff_kfast() -> u32 (same for stores);
// ff_tw(e) -> vec2<f32> (exp(-2 pi i e / R)); ff_load(s, r) -> vec2<f32>; ff_store(s, k, v).

const FF_B2: u32 = FF_L / (2u * FF_WG);
const FF_B4: u32 = FF_L / (4u * FF_WG);

var<workgroup> ff_buf: array<vec2<f32>, FF_L>;

fn ff_cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

// Radix-2 step of span ns = 1: butterflies of x[j] and x[j + R/2], written to 2j, 2j+1.
fn ff_pass2(li: u32, R: u32) {
  var v: array<vec2<f32>, 2 * FF_B2>;
  let h = R / 2u;
  for (var b = 0u; b < FF_B2; b++) {
    let t = b * FF_WG + li;
    let base = (t / h) * R;
    let j = t % h;
    let a0 = ff_buf[base + j];
    let a1 = ff_buf[base + j + h];
    v[2u * b] = a0 + a1;
    v[2u * b + 1u] = a0 - a1;
  }
  workgroupBarrier();
  for (var b = 0u; b < FF_B2; b++) {
    let t = b * FF_WG + li;
    let base = (t / h) * R;
    let j = t % h;
    ff_buf[base + 2u * j] = v[2u * b];
    ff_buf[base + 2u * j + 1u] = v[2u * b + 1u];
  }
  workgroupBarrier();
}

// Radix-4 Stockham step of span ns: reads x[j + r R/4], twiddles by w_{4 ns}^(r (j % ns)),
// writes the 4-point DFT to (j / ns) 4 ns + j % ns + k ns.
fn ff_pass4(li: u32, R: u32, ns: u32) {
  var v: array<vec2<f32>, 4 * FF_B4>;
  let q = R / 4u;
  let step = R / (4u * ns);
  for (var b = 0u; b < FF_B4; b++) {
    let t = b * FF_WG + li;
    let base = (t / q) * R;
    let j = t % q;
    let e = (j % ns) * step;
    let a0 = ff_buf[base + j];
    var a1 = ff_buf[base + j + q];
    var a2 = ff_buf[base + j + 2u * q];
    var a3 = ff_buf[base + j + 3u * q];
    if (e != 0u) {
      a1 = ff_cmul(a1, ff_tw(e));
      a2 = ff_cmul(a2, ff_tw(2u * e));
      a3 = ff_cmul(a3, ff_tw(3u * e));
    }
    let t0 = a0 + a2;
    let t1 = a0 - a2;
    let t2 = a1 + a3;
    let d = a1 - a3;
    // -i (a1 - a3)
    let t3 = vec2<f32>(d.y, -d.x);
    v[4u * b] = t0 + t2;
    v[4u * b + 1u] = t1 + t3;
    v[4u * b + 2u] = t0 - t2;
    v[4u * b + 3u] = t1 - t3;
  }
  workgroupBarrier();
  for (var b = 0u; b < FF_B4; b++) {
    let t = b * FF_WG + li;
    let base = (t / q) * R;
    let j = t % q;
    let o = base + (j / ns) * 4u * ns + j % ns;
    ff_buf[o] = v[4u * b];
    ff_buf[o + ns] = v[4u * b + 1u];
    ff_buf[o + 2u * ns] = v[4u * b + 2u];
    ff_buf[o + 3u * ns] = v[4u * b + 3u];
  }
  workgroupBarrier();
}

@compute @workgroup_size(FF_WG)
fn ff_main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
           @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.y * nwg.x + wid.x;
  let R = ff_len();
  let per = FF_L / R;
  let s0 = g * per;
  let count = ff_count();
  let rf = ff_rfast() != 0u;
  for (var q = lid.x; q < FF_L; q += FF_WG) {
    var sub = q / R;
    var r = q % R;
    if (!rf) {
      sub = q % per;
      r = q / per;
    }
    var v = vec2<f32>(0.0, 0.0);
    if (s0 + sub < count) {
      v = ff_load(s0 + sub, r);
    }
    ff_buf[sub * R + r] = v;
  }
  workgroupBarrier();
  var ns = 1u;
  if (R >= 2u && (countTrailingZeros(R) & 1u) == 1u) {
    ff_pass2(lid.x, R);
    ns = 2u;
  }
  while (ns < R) {
    ff_pass4(lid.x, R, ns);
    ns = ns * 4u;
  }
  let kf = ff_kfast() != 0u;
  for (var q = lid.x; q < FF_L; q += FF_WG) {
    var sub = q / R;
    var k = q % R;
    if (!kf) {
      sub = q % per;
      k = q / per;
    }
    if (s0 + sub < count) {
      ff_store(s0 + sub, k, ff_buf[sub * R + k]);
    }
  }
}
