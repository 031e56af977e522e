// webmlx/optimizers: MLX's mlx.optimizers. `import * as optim from 'webmlx/optimizers'`.
export {
  Optimizer, MultiOptimizer, clipGradNorm, type Schedule, type Hyper, type Scalar, type Updatable,
} from './optimizer.ts';
export {
  SGD, RMSprop, Adagrad, AdaDelta, Adam, AdamW, Adamax, Lion, Adafactor, Muon,
  type SGDOptions, type RMSpropOptions, type AdagradOptions, type AdaDeltaOptions, type AdamOptions,
  type AdamWOptions, type LionOptions, type AdafactorOptions, type MuonOptions,
} from './optimizers.ts';
export { exponentialDecay, stepDecay, cosineDecay, linearSchedule, joinSchedules, type ScheduleFn } from './schedulers.ts';
export { saveState, loadState } from './state.ts';
