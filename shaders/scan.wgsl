// Scans along rows of a [rows, len] view. scan_wg: one workgroup per row walks it in
// chunks of SWG * 4 elements, scanning each chunk in workgroup memory and carrying the
// total on; scan_thread: one thread per short row. Loops are nested so none runs 65,535
// times (lavapipe stops loops there).
// Hooks: alias SA; const SWG: u32; const SC_EXCL: bool; sc_init, sc_comb, sc_load(row, t),
// sc_store(row, t, v), sc_rows, sc_len.

var<workgroup> sc_tot: array<SA, SWG>;

@compute @workgroup_size(SWG)
fn scan_wg(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
           @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = wid.y * nwg.x + wid.x;
  if (row >= sc_rows()) {
    return;
  }
  let len = sc_len();
  let chunk = SWG * 4u;
  let nchunks = (len + chunk - 1u) / chunk;
  var carry = sc_init();
  for (var c0 = 0u; c0 < nchunks; c0 += 32768u) {
    let c1 = min(c0 + 32768u, nchunks);
    for (var c = c0; c < c1; c++) {
      let base = c * chunk + lid.x * 4u;
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
      sc_tot[lid.x] = run;
      workgroupBarrier();
      for (var off = 1u; off < SWG; off = off << 1u) {
        var lo = sc_init();
        if (lid.x >= off) {
          lo = sc_tot[lid.x - off];
        }
        let me = sc_tot[lid.x];
        workgroupBarrier();
        sc_tot[lid.x] = sc_comb(lo, me);
        workgroupBarrier();
      }
      var acc = carry;
      if (lid.x > 0u) {
        acc = sc_comb(carry, sc_tot[lid.x - 1u]);
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
      carry = sc_comb(carry, sc_tot[SWG - 1u]);
      workgroupBarrier();
    }
  }
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
