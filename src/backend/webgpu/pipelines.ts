// Compute pipelines cached per device by WGSL source and entry point; concurrent
// requests for the same source share one compilation.

export class PipelineCache {
  // keyed by the module source first: assembled sources are shared string objects whose
  // hash V8 keeps, so a lookup does not rehash (or copy) tens of KB per dispatch
  private cache = new Map<string, Map<string, Promise<GPUComputePipeline>>>();
  private count = 0;
  private layouts = new Map<number, { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout }>();

  constructor(private readonly device: GPUDevice) {}

  /** Layout of kernels with n inputs: uniform params, the output, read-only inputs, then `outs - 1` more outputs. */
  layout(n: number, outs = 1): { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout } {
    const key = n + (outs - 1) * 4096;
    let l = this.layouts.get(key);
    if (!l) {
      const COMPUTE = 4;
      const entries: GPUBindGroupLayoutEntry[] = [
        { binding: 0, visibility: COMPUTE, buffer: { type: 'uniform' } },
        { binding: 1, visibility: COMPUTE, buffer: { type: 'storage' } },
      ];
      for (let i = 0; i < n; i++) entries.push({ binding: i + 2, visibility: COMPUTE, buffer: { type: 'read-only-storage' } });
      for (let i = 1; i < outs; i++) entries.push({ binding: n + i + 1, visibility: COMPUTE, buffer: { type: 'storage' } });
      const group = this.device.createBindGroupLayout({ entries, label: `mx layout ${n}/${outs}` });
      l = { group, pipeline: this.device.createPipelineLayout({ bindGroupLayouts: [group] }) };
      this.layouts.set(key, l);
    }
    return l;
  }

  get size(): number {
    return this.count;
  }

  /** The pipeline for `code` (compiled once); errors name `label` and quote the compiler. */
  get(code: string, entryPoint: string, label: string, inputs: number, outputs = 1): Promise<GPUComputePipeline> {
    let byEntry = this.cache.get(code);
    if (!byEntry) this.cache.set(code, (byEntry = new Map()));
    const key = `${entryPoint}/${inputs}/${outputs}`;
    let p = byEntry.get(key);
    if (!p) {
      p = this.create(code, entryPoint, label, inputs, outputs);
      byEntry.set(key, p);
      this.count++;
      // a failed compile is not cached, so a fixed device or source can retry
      p.catch(() => {
        if (byEntry!.delete(key)) this.count--;
      });
    }
    return p;
  }

  private async create(code: string, entryPoint: string, label: string, inputs: number, outputs: number): Promise<GPUComputePipeline> {
    const d = this.device;
    const layout = this.layout(inputs, outputs).pipeline;
    d.pushErrorScope('validation');
    d.pushErrorScope('internal');
    const module = d.createShaderModule({ code, label });
    const pipeline = d.createComputePipelineAsync({ layout, compute: { module, entryPoint }, label });
    const internal = d.popErrorScope();
    const validation = d.popErrorScope();
    let result: GPUComputePipeline | null = null;
    let failure = '';
    try {
      result = await pipeline;
    } catch (e) {
      failure = (e as Error).message;
    }
    const errs = (await Promise.all([validation, internal])).filter((e): e is GPUError => !!e);
    if (errs.length || !result) {
      let detail = '';
      try {
        const info = await module.getCompilationInfo();
        detail = info.messages
          .filter((m) => m.type === 'error')
          .map((m) => `  line ${m.lineNum}:${m.linePos}: ${m.message}\n    ${code.split('\n')[m.lineNum - 1] ?? ''}`)
          .join('\n');
      } catch {
        // compilation info is optional in some runtimes
      }
      const msg = [failure, ...errs.map((e) => e.message)].filter(Boolean).join('\n');
      throw new Error(`[gpu] Compiling the WebGPU kernel for ${label} failed: ${msg}${detail ? '\n' + detail : ''}`);
    }
    return result;
  }
}
