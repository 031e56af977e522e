// Saving and restoring optimizer state as safetensors (paths as in mx.treeFlatten).
import { MxArray } from '../core/array.ts';
import { treeFlatten, treeUnflatten } from '../transforms/tree.ts';
import { saveSafetensors, loadSafetensors, type LoadSource, type SaveTarget } from '../io/index.ts';
import type { Optimizer } from './optimizer.ts';

/**
 * Serialises an optimizer's state (step, learning rate, moments...) as safetensors bytes,
 * keyed by tree path ('step', 'learningRate', 'layers.0.w.m', ...); writes `file` if given.
 * @example
 * const bytes = await optim.saveState(opt);
 * await optim.saveState(opt, 'opt.safetensors');
 */
export async function saveState(opt: Optimizer, file?: SaveTarget): Promise<Uint8Array> {
  const flat = treeFlatten(opt.state).filter((e): e is [string, MxArray] => e[1] instanceof MxArray);
  const arrays = Object.fromEntries(flat);
  return saveSafetensors(file ?? null, arrays, { format: 'webmlx-optimizer-state', optimizer: opt.constructor.name });
}

// MLX's Python names of optimizer state entries, as they appear in its saved state files
const MLX_NAMES: Record<string, string> = {
  learning_rate: 'learningRate', exp_avg_sq_row: 'expAvgSqRow', exp_avg_sq_col: 'expAvgSqCol', exp_avg_sq: 'expAvgSq', exp_avg: 'expAvg',
};

/**
 * Restores state written by `saveState` into an optimizer of the same kind. State saved by
 * MLX (`mx.save_safetensors(f, dict(tree_flatten(opt.state)))`) loads too: its snake_case
 * entry names and uint64 step are converted.
 * @example
 * await optim.loadState(opt, 'opt.safetensors');
 */
export async function loadState(opt: Optimizer, src: LoadSource): Promise<void> {
  const { arrays, metadata } = await loadSafetensors(src);
  if (metadata.optimizer && metadata.optimizer !== opt.constructor.name) {
    throw new Error(`[loadState] The state was saved from ${metadata.optimizer}, not ${opt.constructor.name}.`);
  }
  const entries = Object.entries(arrays).map(([path, a]): [string, unknown] => {
    const parts = path.split('.');
    const last = parts[parts.length - 1];
    if (MLX_NAMES[last]) parts[parts.length - 1] = MLX_NAMES[last];
    return [parts.join('.'), a];
  });
  opt.state = treeUnflatten(entries) as Record<string, unknown>;
}
