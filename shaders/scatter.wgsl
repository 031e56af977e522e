// Scatter: one thread per update element. Each update merges into its target with a
// compare-exchange loop on the containing u32 word, so duplicate indices accumulate and
// packed dtypes never clobber their word neighbours.
// Hooks: alias ST; const ST_VPW: u32; st_count, st_target(u) -> u32, st_update(u) -> ST,
// st_comb(old, v) -> ST, st_get(word, sub) -> ST, st_put(word, sub, v) -> u32;
// binding `out: array<atomic<u32>>`.

@compute @workgroup_size(256)
fn scatter_main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let u = gid.y * (nwg.x * 256u) + gid.x;
  if (u >= st_count()) {
    return;
  }
  let t = st_target(u);
  let v = st_update(u);
  let w = t / ST_VPW;
  let sub = t % ST_VPW;
  var old = atomicLoad(&out[w]);
  for (var it = 0u; it < 60000u; it++) {
    let nv = st_put(old, sub, st_comb(st_get(old, sub), v));
    let r = atomicCompareExchangeWeak(&out[w], old, nv);
    if (r.exchanged) {
      break;
    }
    old = r.old_value;
  }
}
