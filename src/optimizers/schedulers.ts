// Hyperparameter schedules (mlx.optimizers.*_decay / *_schedule): functions from the step
// (a uint32 0-d array, or a number) to a float32 0-d array, written as array ops so a
// scheduled step builds the same small graph every time.
import type { MxArray } from '../core/array.ts';
import { type ArrayInput } from '../ops/core.ts';
import { add, multiply, power, floorDivide, minimum, cos, where, less, subtract, astype } from '../ops/elementwise.ts';
import { float32 } from '../core/dtype.ts';

/** A schedule: step -> value. Optimizers call it with their `step` array. */
export type ScheduleFn = (step: MxArray | number) => MxArray;

const f32 = (x: MxArray) => astype(x, float32);

/**
 * init * decayRate^step.
 * @example
 * const lr = optim.exponentialDecay(0.1, 0.9);
 * await lr(3).item(); // 0.0729
 */
export function exponentialDecay(init: number, decayRate: number): ScheduleFn {
  return (step) => f32(multiply(init, power(decayRate, step)));
}

/**
 * init * decayRate^floor(step / stepSize).
 * @example
 * const lr = optim.stepDecay(0.1, 0.9, 10);
 */
export function stepDecay(init: number, decayRate: number, stepSize: number): ScheduleFn {
  if (stepSize < 1) throw new Error(`[stepDecay] stepSize must be greater than 0, but got ${stepSize}.`);
  return (step) => f32(multiply(init, power(decayRate, floorDivide(step, stepSize))));
}

/**
 * Cosine decay from init to end over decaySteps, then constant at end.
 * @example
 * const lr = optim.cosineDecay(1e-3, 1000, 1e-5);
 */
export function cosineDecay(init: number, decaySteps: number, end = 0.0): ScheduleFn {
  if (decaySteps < 1) throw new Error(`[cosineDecay] decaySteps must be greater than 0, but got ${decaySteps}.`);
  return (step) => {
    const s = minimum(step, decaySteps);
    const decay = multiply(0.5, add(1.0, cos(multiply(Math.PI / decaySteps, s))));
    return f32(add(end, multiply(decay, init - end)));
  };
}

/**
 * Linear ramp from init to end over `steps` steps, then constant at end.
 * @example
 * const warmup = optim.linearSchedule(0, 1e-3, 100);
 */
export function linearSchedule(init: number, end: number, steps: number): ScheduleFn {
  if (steps < 1) throw new Error(`[linearSchedule] steps must be greater than 0, but got ${steps}.`);
  return (step) => f32(add(multiply(minimum(step, steps), (end - init) / steps), init));
}

/**
 * Joins schedules at step boundaries; schedule i+1 sees the steps since boundary i.
 * @example
 * const lr = optim.joinSchedules([optim.linearSchedule(0, 1e-3, 100), optim.cosineDecay(1e-3, 900)], [100]);
 */
export function joinSchedules(schedules: ((step: MxArray | number) => MxArray | number)[], boundaries: number[]): ScheduleFn {
  if (schedules.length === 0) throw new Error('[joinSchedules] Must provide at least 1 schedule to join.');
  if (schedules.length !== boundaries.length + 1) {
    throw new Error(`[joinSchedules] Received ${boundaries.length} boundaries but expected ${schedules.length - 1}.`);
  }
  return (step) => {
    let out: ArrayInput = schedules[0](step);
    boundaries.forEach((b, i) => {
      // steps before the boundary would wrap around in uint32; clamp them (their value is not used)
      const since = subtract(step, minimum(step, b));
      out = where(less(step, b), out, schedules[i + 1](since));
    });
    return f32(out as MxArray);
  };
}
