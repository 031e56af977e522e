// API conformance: the README's coverage table matches what the code exports (set
// WEBMLX_UPDATE_API=1 to rewrite it), and every exported name is used by some test suite.
/// <reference types="node" />
import { expect, it } from 'vitest';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as mx from '../../src/index.ts';
import * as nn from '../../src/nn/index.ts';
import * as optim from '../../src/optimizers/index.ts';
import * as data from '../../src/data/index.ts';
import { coverage, markdown, type Targets } from '../api/coverage.ts';

const root = join(import.meta.dirname, '..', '..');
const ns = (o: unknown): object => (o && typeof o === 'object' ? o : {});
const M = mx as unknown as Record<string, unknown>;

const targets: Targets = {
  'mlx.core': mx,
  // an instance (fields such as shape live on it), with the class under its own name
  'mlx.core.array': Object.setPrototypeOf({ MxArray: mx.MxArray }, mx.zeros([1])),
  'mlx.core.linalg': ns(M.linalg),
  'mlx.core.fft': ns(M.fft),
  'mlx.core.random': mx.random,
  'mlx.core.fast': ns(M.fast),
  'mlx.nn': nn,
  'mlx.nn.losses': nn.losses,
  'mlx.nn.init': nn.init,
  'mlx.nn.Module': new nn.Module(),
  'mlx.optimizers': optim,
  'mlx.optimizers.Optimizer': new optim.SGD(0.1),
};

const START = '<!-- api-coverage:start -->', END = '<!-- api-coverage:end -->';

it('the README coverage table is generated from the current exports', () => {
  const table = markdown(coverage(targets));
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const a = readme.indexOf(START), b = readme.indexOf(END);
  expect(a >= 0 && b > a, `README.md needs ${START} ... ${END}`).toBe(true);
  const current = readme.slice(a + START.length, b).trim();
  if (process.env.WEBMLX_UPDATE_API) {
    writeFileSync(join(root, 'README.md'), `${readme.slice(0, a + START.length)}\n${table}\n${readme.slice(b)}`);
    return;
  }
  expect(current, 'README coverage table is stale: run WEBMLX_UPDATE_API=1 npx vitest run --project cpu test/node/api.test.ts').toBe(table.trim());
});

it('every exported name is used by a test suite', () => {
  // suites, and the fixture tables that name ops and optimizers they drive
  const text = ['suites', 'fixtures'].flatMap((d) => {
    const dir = join(root, 'test', d);
    return readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(join(dir, f), 'utf8'));
  }).join('\n');
  const modules: [string, object][] = [
    ['mx', mx], ['nn', nn], ['optimizers', optim], ['data', data], ['mx.random', mx.random], ['nn.losses', nn.losses], ['nn.init', nn.init],
    ...(['linalg', 'fft', 'fast'] as const).filter((k) => M[k]).map((k): [string, object] => [`mx.${k}`, ns(M[k])]),
  ];
  const untested: string[] = [];
  for (const [label, m] of modules) {
    for (const name of Object.keys(m)) {
      if (!new RegExp(`\\b${name.replace(/\$/g, '\\$')}\\b`).test(text)) untested.push(`${label}.${name}`);
    }
  }
  expect(untested, `exported names no suite mentions: ${untested.join(', ')}`).toEqual([]);
});
