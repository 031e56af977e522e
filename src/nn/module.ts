// nn.Module: MLX's module tree. Parameters are plain properties of a module whose values are
// arrays, sub-modules, or lists/dicts of them; everything the tree methods walk is found
// by looking at the module's own properties, as MLX looks at the module's dict.
import * as mx from '../index.ts';

type MxArray = mx.MxArray;
/** A function `filterAndMap` uses to keep (module, key, value) entries. */
export type FilterFn = (module: Module, key: string, value: unknown) => boolean;
/** Parameters as MLX gives them: nested dicts and lists whose leaves are arrays. */
export type ParamTree = { [key: string]: unknown };

/** @internal A plain JS object (MLX's dict). */
export const isDict = (x: unknown): x is Record<string, unknown> => {
  if (!x || typeof x !== 'object' || Array.isArray(x)) return false;
  const p = Object.getPrototypeOf(x);
  return p === Object.prototype || p === null;
};

const isPrimitive = (x: unknown) => x === null || x === undefined || ['number', 'string', 'boolean', 'bigint'].includes(typeof x);

/** A non-empty list/dict of plain values only: configuration (MLX keeps such tuples out). */
function isConfig(v: unknown): boolean {
  const leaves: unknown[] = [];
  const walk = (t: unknown) => {
    if (Array.isArray(t)) t.forEach(walk);
    else if (isDict(t)) Object.values(t).forEach(walk);
    else leaves.push(t);
  };
  walk(v);
  return leaves.length > 0 && leaves.every(isPrimitive);
}

/** Whether a property value is part of a module's state (what MLX stores in the dict). */
function isState(v: unknown): boolean {
  if (v instanceof mx.MxArray || v instanceof Module) return true;
  return (Array.isArray(v) || isDict(v)) && !isConfig(v);
}

const isContainer = (v: unknown) => v instanceof Module || isDict(v) || Array.isArray(v);

function unwrap(model: Module, key: string, value: unknown, filterFn: FilterFn, mapFn: (x: any) => unknown, isLeafFn: FilterFn): unknown {
  if (isLeafFn(model, key, value)) return mapFn(value);
  if (value instanceof Module) {
    const out: ParamTree = {};
    for (const [k, v] of value.items()) if (filterFn(value, k, v)) out[k] = unwrap(value, k, v, filterFn, mapFn, isLeafFn);
    return out;
  }
  if (isDict(value)) {
    const out: ParamTree = {};
    for (const [k, v] of Object.entries(value)) {
      const tk = `${key}.${k}`;
      out[k] = filterFn(model, tk, v) ? unwrap(model, tk, v, filterFn, mapFn, isLeafFn) : {};
    }
    return out;
  }
  if (Array.isArray(value)) {
    return value.map((v, i) => {
      const tk = `${key}.${i}`;
      return filterFn(model, tk, v) ? unwrap(model, tk, v, filterFn, mapFn, isLeafFn) : {};
    });
  }
  throw new Error('[Module] Unexpected leaf found while traversing the module.');
}

const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v === 'object' ? (v as object).constructor?.name ?? 'object' : typeof v);

/** Children of a list (or of a dict given for a list, keyed by index) as [index, value]. */
function listEntries(dst: unknown[], src: unknown, strict: boolean, what: string): [number, unknown][] {
  const out: [number, unknown][] = [];
  const entries: [string, unknown][] = Array.isArray(src) ? src.map((v, i) => [String(i), v]) : Object.entries(src as object);
  for (const [k, v] of entries) {
    const i = Number(k);
    if (!Number.isInteger(i) || i < 0 || i >= dst.length) {
      if (strict) throw new Error(`[Module.${what}] List index ${k} is out of bounds for destination of length ${dst.length}.`);
      continue;
    }
    out.push([i, v]);
  }
  return out;
}

function updateParams(dst: any, params: unknown, strict: boolean): void {
  const setOne = (container: any, k: string | number, cur: unknown, nv: unknown) => {
    if (cur instanceof mx.MxArray) {
      if (!(nv instanceof mx.MxArray)) {
        if (strict) throw new Error(`[Module.update] Received invalid type: ${typeName(nv)} for parameter '${k}'.`);
        return; // non-strict updates skip non-arrays instead of clobbering a parameter
      }
      container[k] = nv;
    } else updateParams(cur, nv, strict);
  };
  if (Array.isArray(dst) && (Array.isArray(params) || isDict(params))) {
    for (const [i, v] of listEntries(dst, params, strict, 'update')) setOne(dst, i, dst[i], v);
  } else if (isDict(params) && (dst instanceof Module || isDict(dst))) {
    const own = dst instanceof Module ? new Map(dst.items()) : new Map(Object.entries(dst));
    for (const [k, v] of Object.entries(params)) {
      if (own.has(k)) setOne(dst, k, own.get(k), v);
      else if (strict) throw new Error(`[Module.update] Module does not have parameter named "${k}".`);
    }
  } else if (strict) {
    if (!(isDict(params) && Object.keys(params).length === 0)) throw new Error(`[Module.update] Received invalid type: ${typeName(params)}.`);
  }
}

function updateModulesImpl(dst: any, modules: unknown, strict: boolean): void {
  const setOne = (container: any, k: string | number, cur: unknown, nv: unknown) => {
    if (cur instanceof Module && nv instanceof Module) container[k] = nv;
    else if (Array.isArray(cur) || isDict(cur) || cur instanceof Module) updateModulesImpl(cur, nv, strict);
    else if (strict && !(isDict(nv) && Object.keys(nv).length === 0)) throw new Error(`[Module.updateModules] Received invalid type: ${typeName(nv)}.`);
  };
  if (Array.isArray(dst) && (Array.isArray(modules) || isDict(modules))) {
    for (const [i, v] of listEntries(dst, modules, strict, 'updateModules')) setOne(dst, i, dst[i], v);
  } else if (isDict(modules) && (dst instanceof Module || isDict(dst))) {
    const own = dst instanceof Module ? new Map(dst.items()) : new Map(Object.entries(dst));
    for (const [k, v] of Object.entries(modules)) {
      if (own.has(k)) setOne(dst, k, own.get(k), v);
      else if (strict) throw new Error(`[Module.updateModules] Module does not have sub-module named "${k}".`);
    }
  } else if (strict) throw new Error(`[Module.updateModules] Received invalid type: ${typeName(modules)}.`);
}

/** Options of `freeze` and `unfreeze`. */
export interface FreezeOptions {
  /** Also (un)freeze the sub-modules (default true). */
  recurse?: boolean;
  /** Only these parameter names (e.g. 'bias'); all of them by default. */
  keys?: string | string[];
  /** Check that the keys exist (default false). */
  strict?: boolean;
}

/**
 * Base class of layers and models (MLX's `nn.Module`). Subclasses set parameters as
 * properties (arrays, sub-modules, or lists/dicts of them) and implement `forward`.
 * Properties whose names start with `_` are kept out of `parameters()`; numbers,
 * strings, functions and lists of numbers are configuration, not state. Parameter and
 * sub-module names of the built-in layers follow MLX exactly (`running_mean`,
 * `query_proj`, ...), so MLX checkpoints load unchanged.
 * @example
 * class MLP extends nn.Module {
 *   l1 = new nn.Linear(2, 16);
 *   l2 = new nn.Linear(16, 1);
 *   forward(x: mx.MxArray) { return this.l2.forward(nn.relu(this.l1.forward(x))); }
 * }
 * const model = new MLP();
 * await mx.eval(model.parameters());
 */
export class Module {
  /** @internal Names of the frozen parameters of this module. */
  _noGrad = new Set<string>();
  /** @internal */
  _training = true;

  /**
   * The module's computation; override it in subclasses.
   * @example
   * const y = new nn.Linear(3, 2).forward(mx.ones([4, 3]));
   */
  forward(..._args: any[]): any {
    throw new Error(`[${this.constructor.name}] forward() is not implemented.`);
  }

  /** Whether the module is in training mode (see `train` / `eval`). @example model.training */
  get training(): boolean {
    return this._training;
  }

  /**
   * The module's state as a record (MLX's `Module.state`): parameters, sub-modules and
   * plain attributes, by name.
   * @example
   * Object.keys(new nn.Linear(2, 3).state) // ['weight', 'bias']
   */
  get state(): Record<string, unknown> {
    return Object.fromEntries(this.items());
  }

  /**
   * The module's state entries (what MLX keeps in the module's dict), in definition order.
   * @example
   * for (const [k, v] of model.items()) console.log(k);
   */
  items(): [string, unknown][] {
    return Object.entries(this).filter(([, v]) => isState(v));
  }

  /** Whether a value is a Module. @example nn.Module.isModule(new nn.Linear(2, 2)) // true */
  static isModule(value: unknown): value is Module {
    return value instanceof Module;
  }

  /** MLX's valid_child_filter: lists, dicts and modules. @example model.filterAndMap(nn.Module.validChildFilter) */
  static validChildFilter(_m: Module, _k: string, v: unknown): boolean {
    return isContainer(v);
  }

  /** MLX's valid_parameter_filter: arrays and containers under names not starting with `_`. @example model.filterAndMap(nn.Module.validParameterFilter) */
  static validParameterFilter(_m: Module, k: string, v: unknown): boolean {
    return (isContainer(v) || v instanceof mx.MxArray) && !k.startsWith('_');
  }

  /** Valid parameters that are not frozen. @example model.filterAndMap(nn.Module.trainableParameterFilter) */
  static trainableParameterFilter(m: Module, k: string, v: unknown): boolean {
    return Module.validParameterFilter(m, k, v) && !m._noGrad.has(k);
  }

  /**
   * Recursively keeps the entries `filterFn` accepts, mapping the leaves with `mapFn`.
   * `isLeafFn` decides what is a leaf (default: anything but modules, lists and dicts).
   * @example
   * const biases = model.filterAndMap((m, k, v) => k === 'bias' || v instanceof nn.Module || Array.isArray(v));
   */
  filterAndMap(filterFn: FilterFn, mapFn: (x: any) => unknown = (x) => x, isLeafFn?: FilterFn): ParamTree {
    const leaf: FilterFn = isLeafFn ?? ((_m, _k, v) => !isContainer(v));
    const out: ParamTree = {};
    for (const [k, v] of this.items()) if (filterFn(this, k, v)) out[k] = unwrap(this, k, v, filterFn, mapFn, leaf);
    return out;
  }

  /**
   * All arrays of the module tree as nested dicts and lists.
   * @example
   * mx.treeFlatten(new nn.Linear(2, 3).parameters()).map(([k]) => k) // ['weight', 'bias']
   */
  parameters(): ParamTree {
    return this.filterAndMap(Module.validParameterFilter);
  }

  /**
   * The arrays that are not frozen.
   * @example
   * model.freeze({ keys: 'bias' }); model.trainableParameters();
   */
  trainableParameters(): ParamTree {
    return this.filterAndMap(Module.trainableParameterFilter);
  }

  /**
   * The direct sub-modules (inside lists and dicts too).
   * @example
   * Object.keys(new nn.Sequential(new nn.Linear(2, 2)).children()) // ['layers']
   */
  children(): ParamTree {
    return this.filterAndMap(Module.validChildFilter, undefined, (_m, _k, v) => v instanceof Module);
  }

  /**
   * The sub-modules that contain no modules themselves.
   * @example
   * model.leafModules()
   */
  leafModules(): ParamTree {
    const isLeafModule: FilterFn = (_m, _k, v) => v instanceof Module && mx.treeFlatten(v.children()).length === 0;
    return this.filterAndMap(Module.validChildFilter, undefined, isLeafModule);
  }

  /**
   * Replaces parameters with the ones given (a full or partial tree like `parameters()`).
   * With `strict` every given name must exist and every value be an array.
   * @example
   * model.update(mx.treeMap((p: mx.MxArray) => p.multiply(0.5), model.parameters()) as nn.ParamTree);
   */
  update(parameters: ParamTree | unknown[], strict = true): this {
    updateParams(this, parameters, strict);
    return this;
  }

  /**
   * Maps the parameters (those `filterFn` selects) with `mapFn` and updates the module.
   * @example
   * model.apply((p) => p.astype(mx.float16));
   */
  apply(mapFn: (x: MxArray) => MxArray, filterFn: FilterFn = Module.validParameterFilter): this {
    return this.update(this.filterAndMap(filterFn, mapFn));
  }

  /**
   * Replaces sub-modules with the ones given (a partial tree like `children()`).
   * @example
   * model.updateModules({ layers: [new nn.Linear(2, 2)] });
   */
  updateModules(modules: ParamTree | unknown[], strict = true): this {
    updateModulesImpl(this, modules, strict);
    return this;
  }

  /**
   * Calls fn(path, module) for this module and every sub-module (paths like 'layers.0').
   * @example
   * model.applyToModules((name, m) => console.log(name, m.constructor.name));
   */
  applyToModules(fn: (path: string, module: Module) => unknown): this {
    const stack: [string, Module][] = [['', this]];
    while (stack.length) {
      const [prefix, mod] = stack.pop()!;
      fn(prefix, mod);
      stack.push(...(mx.treeFlatten(mod.children(), prefix, (v) => v instanceof Module) as [string, Module][]));
    }
    return this;
  }

  /** All modules of the tree, this one first. @example model.modules().length */
  modules(): Module[] {
    const out: Module[] = [];
    this.applyToModules((_k, m) => out.push(m));
    return out;
  }

  /** [path, module] for all modules of the tree ('' is this module). @example model.namedModules() */
  namedModules(): [string, Module][] {
    const out: [string, Module][] = [];
    this.applyToModules((k, m) => out.push([k, m]));
    return out;
  }

  private validateKeys(keys: string | string[], strict: boolean): string[] {
    const ks = typeof keys === 'string' ? [keys] : keys;
    if (strict) {
      const own = new Set(this.items().map(([k]) => k));
      for (const k of ks) if (!own.has(k)) throw new Error(`[Module] ${this.constructor.name} doesn't contain member ${k}.`);
    }
    return ks;
  }

  private validateKeysRecursive(keys: string | string[]): void {
    const ks = typeof keys === 'string' ? [keys] : keys;
    const mods = this.modules();
    for (const k of ks) {
      if (!mods.some((m) => m.items().some(([mk]) => mk === k))) throw new Error(`[Module] Module doesn't contain member ${k}.`);
    }
  }

  /**
   * Freezes parameters (no gradients for them in nn.valueAndGrad): all of them, or `keys`.
   * @example
   * model.freeze();                    // everything
   * model.freeze({ keys: 'bias' });    // only biases
   */
  freeze(options: FreezeOptions = {}): this {
    const { recurse = true, keys } = options;
    let strict = options.strict ?? false;
    const impl = (_p: string, m: Module) => {
      let local = keys;
      if (local === undefined) {
        const direct = m.filterAndMap((mm, k, v) => !(v instanceof Module) && Module.validParameterFilter(mm, k, v));
        local = mx.treeFlatten(direct).map(([k]) => k);
      }
      for (const k of m.validateKeys(local, strict)) m._noGrad.add(k);
    };
    if (recurse) {
      if (strict && keys !== undefined) {
        this.validateKeysRecursive(keys);
        strict = false;
      }
      this.applyToModules(impl);
    } else impl('', this);
    return this;
  }

  /**
   * Unfreezes parameters: all of them, or `keys`.
   * @example
   * model.freeze(); model.unfreeze({ keys: 'bias' }); // train only the biases
   */
  unfreeze(options: FreezeOptions = {}): this {
    const { recurse = true, keys } = options;
    let strict = options.strict ?? false;
    const impl = (_p: string, m: Module) => {
      if (keys === undefined) m._noGrad.clear();
      else for (const k of m.validateKeys(keys, strict)) m._noGrad.delete(k);
    };
    if (recurse) {
      if (strict && keys !== undefined) {
        this.validateKeysRecursive(keys);
        strict = false;
      }
      this.applyToModules(impl);
    } else impl('', this);
    return this;
  }

  /**
   * Sets training mode (Dropout and BatchNorm behave differently) for the whole tree.
   * @example
   * model.train(); ... model.eval();
   */
  train(mode = true): this {
    return this.applyToModules((_k, m) => {
      m._training = mode;
    });
  }

  /** Sets evaluation mode (`train(false)`). @example model.eval() */
  eval(): this {
    return this.train(false);
  }

  /**
   * Casts the parameters whose dtype `predicate` accepts (floating ones by default).
   * @example
   * model.setDtype(mx.float16);
   */
  setDtype(dtype: mx.DtypeLike, predicate: ((d: mx.Dtype) => boolean) | null = (d) => mx.issubdtype(d, 'floating')): this {
    const pred = predicate ?? (() => true);
    return this.apply((x) => (pred(x.dtype) ? mx.astype(x, dtype) : x));
  }

  /**
   * Loads weights from [name, array] pairs or a {name: array} record (flat names as in
   * `saveWeights`). With `strict` (default) the names and shapes must match the model's
   * parameters exactly; otherwise only the given ones are loaded.
   * @example
   * model.loadWeights({ weight: mx.zeros([3, 2]), bias: mx.zeros([3]) });
   */
  loadWeights(weights: [string, MxArray][] | Record<string, MxArray>, strict = true): this {
    const pairs: [string, MxArray][] = Array.isArray(weights) ? weights : Object.entries(weights);
    if (strict) {
      const given = new Map(pairs);
      const cur = new Map(mx.treeFlatten(this.parameters()) as [string, MxArray][]);
      const extras = [...given.keys()].filter((k) => !cur.has(k)).sort();
      if (extras.length) throw new Error(`[Module.loadWeights] Received ${extras.length} parameters not in model:\n${extras.join(',\n')}.`);
      const missing = [...cur.keys()].filter((k) => !given.has(k)).sort();
      if (missing.length) throw new Error(`[Module.loadWeights] Missing ${missing.length} parameters:\n${missing.join(',\n')}.`);
      for (const [k, v] of cur) {
        const nv = given.get(k);
        if (!(nv instanceof mx.MxArray)) throw new Error(`[Module.loadWeights] Expected an array but received ${typeName(nv)} for parameter ${k}.`);
        if (nv.shape.join() !== v.shape.join()) throw new Error(`[Module.loadWeights] Expected shape (${v.shape.join(', ')}) but received shape (${nv.shape.join(', ')}) for parameter ${k}.`);
      }
    }
    if (pairs.length) this.update(mx.treeUnflatten(pairs) as ParamTree, false);
    return this;
  }

  /**
   * The parameters as a flat {name: array} record (names like 'layers.0.weight'), ready
   * for a file writer; `loadWeights` takes it back.
   * @example
   * const w = model.saveWeights(); other.loadWeights(w);
   */
  saveWeights(): Record<string, MxArray> {
    return Object.fromEntries(mx.treeFlatten(this.parameters()).filter(([, v]) => v instanceof mx.MxArray)) as Record<string, MxArray>;
  }

  /** Text after the class name in `toString()`. @internal */
  extraRepr(): string {
    return '';
  }

  /** MLX's repr: the class, its settings and its children. @example console.log(String(model)) */
  toString(): string {
    const children = mx.treeFlatten(this.children(), '', (v) => v instanceof Module) as [string, Module][];
    let s = `${this.constructor.name}(${this.extraRepr()}`;
    for (const [k, v] of children) s += `\n  (${k}): ${String(v).split('\n').join('\n  ')}`;
    if (children.length) s += '\n';
    return s + ')';
  }
}
