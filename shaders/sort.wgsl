// Bitonic sorting of (key, index) pairs, ascending in (key, index) order, so equal keys
// keep their index order (a stable argsort). The "flip" form of the network sorts every
// aligned block of size k ascending after stage k, so one workgroup can sort several short
// segments at once, and long rows continue with global steps (sort_step) and in-memory
// merges (sort_block with so_merge()).
// sort_block: a workgroup holds so_blk() pairs (so_blk()/so_seg() segments of so_seg());
//   it sorts each segment fully, or (so_merge()) runs only the steps below so_blk() of a
//   stage larger than the block. sort_step: one compare-exchange of a global stage step
//   per thread on the pairs in `out` (2 words each).
// Hooks: const SO_WG: u32; const SO_L: u32 (pairs held, a power of two);
// so_load(seg, i) -> vec2<u32> (key, index; a padding pair where out of range);
// so_store(seg, i, v); so_blk, so_seg, so_merge (u32 flag), so_k, so_j, so_flip (u32
// flag), so_count (threads doing work in sort_step).

var<workgroup> so_key: array<u32, SO_L>;
var<workgroup> so_idx: array<u32, SO_L>;

fn so_before(ka: u32, ia: u32, kb: u32, ib: u32) -> bool {
  return ka < kb || (ka == kb && ia < ib);
}

// Orders the pairs at positions a < b of workgroup memory.
fn so_cmpx(a: u32, b: u32) {
  let ka = so_key[a];
  let kb = so_key[b];
  let ia = so_idx[a];
  let ib = so_idx[b];
  if (so_before(kb, ib, ka, ia)) {
    so_key[a] = kb;
    so_key[b] = ka;
    so_idx[a] = ib;
    so_idx[b] = ia;
  }
}

// Every compare-exchange step of the network in one loop with one barrier (software
// drivers compile a barrier per call site slowly): flip steps of stages 2..seg, each
// followed by its half-cleaners; with `merge` only the half-cleaners from blk / 2 down.
fn so_network(li: u32, blk: u32, seg: u32, merge: bool) {
  var k = 2u;
  var j = 1u;
  var flip = true;
  var go = seg >= 2u;
  if (merge) {
    j = blk / 2u;
    flip = false;
    go = blk >= 2u;
  }
  loop {
    if (!go) {
      break;
    }
    for (var t0 = 0u; t0 < blk / 2u; t0 += SO_WG) {
      let t = t0 + li;
      if (t < blk / 2u) {
        var a = (t / j) * 2u * j + t % j;
        var b = a + j;
        if (flip) {
          let h = k / 2u;
          a = (t / h) * k + t % h;
          b = (t / h) * k + k - 1u - t % h;
        }
        so_cmpx(a, b);
      }
    }
    workgroupBarrier();
    if (flip) {
      j = k / 4u;
      flip = false;
    } else {
      j = j / 2u;
    }
    if (j == 0u) {
      k = k * 2u;
      j = 1u;
      flip = true;
      go = !merge && k <= seg;
    }
  }
}

@compute @workgroup_size(SO_WG)
fn sort_block(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
              @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.y * nwg.x + wid.x;
  let blk = so_blk();
  let seg = so_seg();
  let per = blk / seg;
  for (var t0 = 0u; t0 < blk; t0 += SO_WG) {
    let q = t0 + lid.x;
    if (q < blk) {
      let v = so_load(g * per + q / seg, q % seg);
      so_key[q] = v.x;
      so_idx[q] = v.y;
    }
  }
  workgroupBarrier();
  so_network(lid.x, blk, seg, so_merge() != 0u);
  for (var t0 = 0u; t0 < blk; t0 += SO_WG) {
    let q = t0 + lid.x;
    if (q < blk) {
      so_store(g * per + q / seg, q % seg, vec2<u32>(so_key[q], so_idx[q]));
    }
  }
}

@compute @workgroup_size(SO_WG)
fn sort_step(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
             @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = (wid.y * nwg.x + wid.x) * SO_WG + lid.x;
  if (t >= so_count()) {
    return;
  }
  let k = so_k();
  let j = so_j();
  var a: u32;
  var b: u32;
  if (so_flip() != 0u) {
    let h = k / 2u;
    a = (t / h) * k + t % h;
    b = (t / h) * k + k - 1u - t % h;
  } else {
    a = (t / j) * 2u * j + t % j;
    b = a + j;
  }
  let ka = out[2u * a];
  let ia = out[2u * a + 1u];
  let kb = out[2u * b];
  let ib = out[2u * b + 1u];
  if (so_before(kb, ib, ka, ia)) {
    out[2u * a] = kb;
    out[2u * a + 1u] = ib;
    out[2u * b] = ka;
    out[2u * b + 1u] = ia;
  }
}
