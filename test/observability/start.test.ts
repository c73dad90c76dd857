// `npm start`, as a person runs it (scripts/start.ts, its own simulator), then `npm run demo`'s attended transfer: the
// metrics URL it prints shows the transfer completed once, and the Temporal SDK's metrics beside it; /readyz is 200.
// Against the test runner's Temporal server (TEMPORAL_ADDRESS), on free ports.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { repoRoot } from '../../config/index.ts';
import { freePort } from '../../temporal/runtime.ts';

function run(script: string, env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, script)], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d));
  child.stderr!.on('data', (d: Buffer) => (output += d));
  return { child, output: () => output };
}

async function until(what: string, check: () => boolean, timeoutMs = 90_000, output?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    // What the process said so far tells a slow start (bundling on a busy machine) from a stuck one.
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs} ms${output ? `; its output:\n${output().slice(-4000)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('after one attended transfer on npm start, its metrics URL shows it completed once, and temporal_* metrics', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-start-'));
  const env = {
    TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS!,
    HANDOFF_DATA_DIR: dir,
    WORKFLOW_TASK_QUEUE: `handoff-start-${path.basename(dir)}`,
    SIMULATOR_PORT: String(await freePort()),
    API_PORT: String(await freePort()),
    METRICS_PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
  };
  const start = run('scripts/start.ts', env);
  t.teardown(async () => {
    if (start.child.exitCode === null) {
      start.child.kill('SIGINT');
      await new Promise((r) => start.child.once('exit', r));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await until('npm start', () => start.output().includes('Handoff is running.'), 90_000, start.output);
  const url = /Metrics:\s+(http:\/\/\S+\/metrics)/.exec(start.output())?.[1];
  t.is(url, `http://127.0.0.1:${env.METRICS_PORT}/metrics`, start.output());

  const demo = run('scripts/demo.ts', env);
  const code = await new Promise<number | null>((r) => demo.child.once('exit', r));
  t.is(code, 0, demo.output());
  t.regex(demo.output(), /Bob and Carol are connected/);

  let metrics = '';
  await until(
    'the transfer counted',
    () => {
      void fetch(url!)
        .then((r) => r.text())
        .then((text) => (metrics = text));
      return metrics.includes('handoff_transfers_ended_total{outcome="completed"} 1');
    },
    15_000,
  );
  t.regex(metrics, /^handoff_transfers_ended_total\{outcome="completed"\} 1$/m);
  t.regex(metrics, /^temporal_workflow_completed_total\{.*\} \d+$/m);
  t.regex(metrics, /^temporal_request_total\{.*\} \d+$/m);
  t.is((await fetch(url!.replace('/metrics', '/readyz'))).status, 200);
});
