// Scans along rows of a [rows, len] view. scan_wg: one workgroup per row walks it in
// chunks of SWG * 4 elements, scanning each in workgroup memory and carrying the total
// on. scan_chunks: one workgroup per (row, chunk), starting from a carry computed by
// earlier passes (long rows). scan_thread: one thread per short row. Loops are nested
// so none runs 65,535 times (lavapipe stops loops there).
// Hooks: alias SA; const SWG: u32; const SC_EXCL: bool; sc_init, sc_comb, sc_load(row, t),
// sc_store(row, t, v), sc_rows, sc_len, sc_chunks, sc_carry(row, chunk).

var<workgroup> sc_tot: array<SA, SWG>;

// Scans chunk c of a row from `carry`; returns carry combined with the chunk's total.
fn sc_do_chunk(li: u32, row: u32, c: u32, len: u32, carry: SA) -> SA {
  let base = c * SWG * 4u + li * 4u;
  var x: array<SA, 4>;
  var run = sc_init();
  for (var k = 0u; k < 4u; k++) {
    var v = sc_init();
    if (base + k < len) {
      v = sc_load(row, base + k);
    }
    x[k] = v;
    run = sc_comb(run, v);
  }
  sc_tot[li] = run;
  workgroupBarrier();
  for (var off = 1u; off < SWG; off = off << 1u) {
    var lo = sc_init();
    if (li >= off) {
      lo = sc_tot[li - off];
    }
    let me = sc_tot[li];
    workgroupBarrier();
    sc_tot[li] = sc_comb(lo, me);
    workgroupBarrier();
  }
  var acc = carry;
  if (li > 0u) {
    acc = sc_comb(carry, sc_tot[li - 1u]);
  }
  for (var k = 0u; k < 4u; k++) {
    if (SC_EXCL) {
      if (base + k < len) {
        sc_store(row, base + k, acc);
      }
      acc = sc_comb(acc, x[k]);
    } else {
      acc = sc_comb(acc, x[k]);
      if (base + k < len) {
        sc_store(row, base + k, acc);
      }
    }
  }
  let next = sc_comb(carry, sc_tot[SWG - 1u]);
  workgroupBarrier();
  return next;
}

@compute @workgroup_size(SWG)
fn scan_wg(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
           @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = wid.y * nwg.x + wid.x;
  if (row >= sc_rows()) {
    return;
  }
  let len = sc_len();
  let nchunks = (len + SWG * 4u - 1u) / (SWG * 4u);
  var carry = sc_init();
  for (var c0 = 0u; c0 < nchunks; c0 += 32768u) {
    let c1 = min(c0 + 32768u, nchunks);
    for (var c = c0; c < c1; c++) {
      carry = sc_do_chunk(lid.x, row, c, len, carry);
    }
  }
}

@compute @workgroup_size(SWG)
fn scan_chunks(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
               @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.y * nwg.x + wid.x;
  let chunks = sc_chunks();
  if (g >= sc_rows() * chunks) {
    return;
  }
  let row = g / chunks;
  let c = g % chunks;
  _ = sc_do_chunk(lid.x, row, c, sc_len(), sc_carry(row, c));
}

@compute @workgroup_size(SWG)
fn scan_thread(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.y * (nwg.x * SWG) + gid.x;
  if (row >= sc_rows()) {
    return;
  }
  let len = sc_len();
  var acc = sc_init();
  for (var t = 0u; t < len; t++) {
    let v = sc_load(row, t);
    if (SC_EXCL) {
      sc_store(row, t, acc);
      acc = sc_comb(acc, v);
    } else {
      acc = sc_comb(acc, v);
      sc_store(row, t, acc);
    }
  }
}
