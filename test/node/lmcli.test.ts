// The `webmlx` command: bundled for Node as scripts/build.mjs does (dist/cli.js), and run
// from source by Deno; both generate from the chat demo's embedded model on the CPU.
/// <reference types="node" />
import { beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { build } from 'esbuild';

const cli = 'dist/test-lm/cli.js';
const model = 'demo/chat/model';
const deno = `node_modules/@deno/${process.platform}-${process.arch}-glibc/deno`;

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    execFile(cmd, args, { timeout: 120_000, env: { ...process.env, DENO_NO_UPDATE_CHECK: '1' } }, (e, stdout, stderr) =>
      ok({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

/** Runs the chat REPL with `input` on stdin. */
function chat(input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    const p = spawn(process.execPath, [cli, 'chat', '--model', model, '--max-tokens', '5', '--cpu', '--verbose']);
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code) => ok({ code: code ?? 1, stdout, stderr }));
    p.stdin.end(input);
  });
}

describe('webmlx CLI', () => {
  beforeAll(async () => {
    await build({ entryPoints: ['src/lm/cli.ts'], outfile: cli, bundle: true, format: 'esm', target: 'es2022', platform: 'node', packages: 'external', logLevel: 'warning' });
  });

  it('help, convert and a refused remote bind', async () => {
    const help = await run(process.execPath, [cli, '--help']);
    expect(help.stdout).toMatch(/usage: webmlx <command>[\s\S]*benchmark/);
    const conv = await run(process.execPath, [cli, 'convert', '--model', 'x']);
    expect([conv.code, conv.stderr]).toEqual([1, expect.stringMatching(/No config\.json in 'x'|Cannot read/)]);
    const remote = await run(process.execPath, [cli, 'serve', '--model', model, '--host', '0.0.0.0', '--cpu']);
    expect([remote.code, remote.stderr]).toEqual([1, expect.stringMatching(/refusing to bind to '0.0.0.0'/)]);
    const bad = await run(process.execPath, [cli, 'fly']);
    expect(bad.stderr).toMatch(/unknown command 'fly'/);
  });

  it('generate and benchmark in Node', async () => {
    expect(existsSync(`${model}/model.safetensors`)).toBe(true);
    const g = await run(process.execPath, [cli, 'generate', '--model', model, '--prompt', 'Good morrow', '--max-tokens', '8', '--temp', '0', '--cpu']);
    expect(g.code).toBe(0);
    expect(g.stderr).toMatch(/prompt: \d+ tokens, [\d.]+ tok\/s; generation: \d+ tokens/);
    const b = await run(process.execPath, [cli, 'benchmark', '--model', model, '--prompt-tokens', '16', '--gen-tokens', '4', '--cpu']);
    expect(b.stdout).toMatch(/trial 1: prefill 16 tokens [\d.]+ tok\/s, decode 4 tokens [\d.]+ tok\/s, peak memory [\d.]+ MB/);
    const c = await chat('Good morrow\n/reset\nAnd you?\n/exit\n');
    expect(c.code).toBe(0);
    expect(c.stderr).toMatch(/chatting with demo\/chat\/model/);
    expect(c.stderr.match(/generation: \d+ tokens/g)?.length).toBe(2);
  });

  it('deno run -A src/lm/cli.ts generate', async () => {
    expect([existsSync(deno), existsSync(`${model}/model.safetensors`)]).toEqual([true, true]);
    const g = await run(deno, ['run', '-A', 'src/lm/cli.ts', 'generate', '--model', model, '--prompt', 'Good morrow', '--max-tokens', '6', '--cpu']);
    expect([g.code, g.stderr]).toEqual([0, expect.stringMatching(/generation: \d+ tokens/)]);
  });
});
