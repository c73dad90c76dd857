// `npm start`, as a person runs it (scripts/start.ts, its own simulator), then `npm run demo`'s attended transfer: the
// metrics URL it prints shows the transfer completed once, and the Temporal SDK's metrics beside it; /readyz is 200.
// Against the test runner's Temporal server (TEMPORAL_ADDRESS), and with none, as the README's first command runs it:
// then it starts a dev server of its own. On free ports.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { repoRoot } from '../../config/index.ts';
import { freePort } from '../../temporal/runtime.ts';

/** Runs a script with `args`, in the test's environment with `env` on top of it, less the variables named in `unset`. */
function run(
  script: string,
  { env, unset = [], args = [] }: { env: Record<string, string>; unset?: string[]; args?: string[] },
): { child: ChildProcess; output: () => string } {
  let output = '';
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const name of unset) delete childEnv[name];
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, script), ...args], {
    cwd: repoRoot,
    env: childEnv,
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

type Run = ReturnType<typeof run>;

/** How the process exits (its code, null when a signal ended it). */
const exitOf = (r: Run): Promise<number | null> =>
  r.child.exitCode !== null ? Promise.resolve(r.child.exitCode) : new Promise((done) => r.child.once('exit', done));

/**
 * npm start's environment: a data directory of its own (removed when the test ends), its simulator, API and
 * operations ports free ones, and `extra` on top.
 */
async function startEnv<E extends Record<string, string>>(
  t: ExecutionContext,
  prefix: string,
  extra: E,
): Promise<
  { HANDOFF_DATA_DIR: string; SIMULATOR_PORT: string; API_PORT: string; METRICS_PORT: string; LOG_LEVEL: string } & E
> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return {
    HANDOFF_DATA_DIR: dir,
    SIMULATOR_PORT: String(await freePort()),
    API_PORT: String(await freePort()),
    METRICS_PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** A dev server's ports for npm start to run one of its own on. */
const devServerPorts = async (): Promise<{ TEMPORAL_PORT: string; TEMPORAL_UI_PORT: string }> => ({
  TEMPORAL_PORT: String(await freePort()),
  TEMPORAL_UI_PORT: String(await freePort()),
});

/**
 * `npm start` as the test runs it, until it says it is running; stopped with Ctrl-C (SIGINT) when the test ends (before
 * its data directory is removed: teardowns run last registered first).
 */
async function startHandoff(
  t: ExecutionContext,
  opts: Parameters<typeof run>[1],
): Promise<{ start: Run; exited: Promise<number | null> }> {
  const start = run('scripts/start.ts', opts);
  const exited = exitOf(start);
  t.teardown(async () => {
    if (start.child.exitCode === null) {
      start.child.kill('SIGINT');
      await exited;
    }
  });
  // A start that failed has exited: say so at once, with its output.
  await until(
    'npm start',
    () => start.output().includes('Handoff is running.') || start.child.exitCode !== null,
    90_000,
    start.output,
  );
  t.true(start.output().includes('Handoff is running.'), start.output());
  return { start, exited };
}

test('after one attended transfer on npm start, its metrics URL shows it completed once, and temporal_* metrics', async (t) => {
  const base = await startEnv(t, 'handoff-start-', { TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS! });
  const env = { ...base, WORKFLOW_TASK_QUEUE: `handoff-start-${path.basename(base.HANDOFF_DATA_DIR)}` };
  const { start } = await startHandoff(t, { env });
  const url = /Metrics:\s+(http:\/\/\S+\/metrics)/.exec(start.output())?.[1];
  t.is(url, `http://127.0.0.1:${env.METRICS_PORT}/metrics`, start.output());

  const demo = run('scripts/demo.ts', { env });
  const code = await exitOf(demo);
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

test('npm start with no Temporal address runs a dev server of its own: ready, the demo transfer completes, the on-call CLI as printed reaches it, Ctrl-C stops it all', async (t) => {
  const env = await startEnv(t, 'handoff-start-dev-', await devServerPorts());
  const { start, exited } = await startHandoff(t, { env, unset: ['TEMPORAL_ADDRESS'] });
  t.regex(start.output(), new RegExp(`Temporal:\\s+127\\.0\\.0\\.1:${env.TEMPORAL_PORT}\\s+Web UI: `));
  const ready = await fetch(`http://127.0.0.1:${env.METRICS_PORT}/readyz`);
  t.is(ready.status, 200, await ready.clone().text());

  // The node worker's ingest has a Temporal client of its own: the transfer completes only if it reached the dev server.
  const demo = run('scripts/demo.ts', { env, unset: ['TEMPORAL_ADDRESS'] });
  const code = await exitOf(demo);
  t.is(code, 0, demo.output() + start.output().slice(-4000));
  t.regex(demo.output(), /Bob and Carol are connected/);

  // The on-call CLI as the banner says to run it: the dev server's address is in no environment but that line's.
  const ctlEnv = /On-call CLI:\s+TEMPORAL_ADDRESS=(\S+) npm run ctl/.exec(start.output())?.[1];
  t.is(ctlEnv, `127.0.0.1:${env.TEMPORAL_PORT}`, start.output());
  const ctl = run('ctl/main.ts', { env: { ...env, TEMPORAL_ADDRESS: ctlEnv! }, args: ['stats', '--json'] });
  t.is(await exitOf(ctl), 0, ctl.output());
  // The demo's one transfer, running or ended by now.
  const stats = JSON.parse(ctl.output()) as { running: number; ended: number };
  t.is(stats.running + stats.ended, 1, ctl.output());

  start.child.kill('SIGINT');
  t.is(await exited, 0, start.output().slice(-4000));
  // Each part stopped in turn: nothing failed to close (a worker left running keeps its connection from closing).
  t.notRegex(start.output().split('stopping ...')[1] ?? '', /Error/);
});

test('npm run demo with no npm start running says to run it first (exit 1)', async (t) => {
  const port = String(await freePort());
  const demo = run('scripts/demo.ts', { env: { SIMULATOR_PORT: port } });
  t.is(await exitOf(demo), 1, demo.output());
  t.is(
    demo.output().trim(),
    `no simulator at 127.0.0.1:${port}: run \`npm start\` first (in another terminal), with the same SIMULATOR_PORT`,
  );
});

test("npm start whose dev server port is another process's stops, naming the port, and does not use that server", async (t) => {
  // Anything listening there would have answered for the dev server npm start failed to start.
  const squatter = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => squatter.close(() => r())));
  const taken = (squatter.address() as net.AddressInfo).port;
  const env = await startEnv(t, 'handoff-start-taken-', { ...(await devServerPorts()), TEMPORAL_PORT: String(taken) });
  const start = run('scripts/start.ts', { env, unset: ['TEMPORAL_ADDRESS'] });
  t.is(await exitOf(start), 1, start.output());
  t.regex(start.output(), new RegExp(`port ${taken} on 127\\.0\\.0\\.1 is already in use`));
  t.regex(start.output(), new RegExp(`TEMPORAL_ADDRESS=127\\.0\\.0\\.1:${taken}`));
  t.false(start.output().includes('Handoff is running.'));
});
