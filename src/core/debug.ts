// Debug switches read by the backends.

export interface DebugOptions {
  /** Log each generated kernel's WGSL and dispatch size. */
  logKernels?: boolean;
  /** Measure each kernel's GPU time with timestamp queries (when the adapter has them). */
  timeKernels?: boolean;
  /** Measure each evaluation's compute pass as a whole (dispatches back to back, as they run). */
  timeRuns?: boolean;
  /** Where logs go (console.log by default). */
  log?: (msg: string) => void;
}

export const debugState: Required<DebugOptions> = { logKernels: false, timeKernels: false, timeRuns: false, log: (m) => console.log(m) };

/**
 * Turns kernel logging/timing on or off.
 * @example
 * mx.setDebug({ logKernels: true, timeKernels: true });
 */
export function setDebug(opts: DebugOptions): void {
  Object.assign(debugState, opts);
}

/** Whether kernels are logged or timed: evaluations then build every kernel afresh (no replay). */
export function inspecting(): boolean {
  return debugState.logKernels || debugState.timeKernels || debugState.timeRuns;
}
