// Prints what the adapter offers (features, subgroup sizes, subgroup-matrix configurations)
// with and without Dawn's unsafe APIs: node bench/probe.mjs
const { create, globals } = await import('webgpu');
Object.assign(globalThis, globals);
for (const flags of [['backend=vulkan'], ['backend=vulkan', 'enable-dawn-features=allow_unsafe_apis']]) {
  const gpu = create(flags);
  const ad = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!ad) { console.log(flags.join(' '), ': no adapter'); continue; }
  const info = ad.info ?? {};
  console.log(`\n== ${flags.join(' ')}: ${info.vendor} ${info.architecture} ${info.description}`);
  console.log('features:', [...ad.features].sort().join(', '));
  console.log('subgroup sizes:', info.subgroupMinSize, info.subgroupMaxSize);
  const cfgs = info.subgroupMatrixConfigs;
  if (cfgs) console.log('subgroup matrix configs:', [...cfgs].map((c) => `${c.componentType}x${c.resultComponentType} ${c.M}x${c.N}x${c.K}`).join('; '));
  if (ad.features.has('chromium-experimental-subgroup-matrix')) {
    const dev = await ad.requestDevice({ requiredFeatures: ['chromium-experimental-subgroup-matrix', 'shader-f16', 'subgroups'].filter((f) => ad.features.has(f)) });
    const c0 = [...(info.subgroupMatrixConfigs ?? [])][0];
    const T = c0?.componentType ?? 'f16', R = c0?.resultComponentType ?? 'f32', M = c0?.M ?? 8, N = c0?.N ?? 8, K = c0?.K ?? 8;
    const code = `${T === 'f16' || R === 'f16' ? 'enable f16;\n' : ''}enable chromium_experimental_subgroup_matrix;\n@group(0) @binding(0) var<storage, read_write> o: array<${R}>;\n@compute @workgroup_size(32) fn main() {\n  var a = subgroup_matrix_left<${T}, ${K}, ${M}>();\n  var b = subgroup_matrix_right<${T}, ${N}, ${K}>();\n  var c = subgroup_matrix_result<${R}, ${N}, ${M}>();\n  c = subgroupMatrixMultiplyAccumulate(a, b, c);\n  subgroupMatrixStore(&o, 0, c, false, ${N});\n}`;
    dev.pushErrorScope('validation');
    const m = dev.createShaderModule({ code });
    const ci = await m.getCompilationInfo();
    console.log('compile test:', ci.messages.map((x) => `${x.type}: ${x.message}`).join(' | ') || 'ok', (await dev.popErrorScope())?.message ?? '');
  }
}
process.exit(0);
