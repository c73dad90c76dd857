// The on-call CLI (`npm run ctl`) against a running engine, each command as its own process configured by environment
// only, as an SRE runs it: calls, call, transfers, cancel, stats over Temporal; reconcile and drain through the node
// worker's admin endpoint on its operations port. Exit codes: 0 done, 1 not found or refused, 2 usage, 3 unreachable.
import { spawn } from 'node:child_process';
import path from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { repoRoot } from '../../config/index.ts';
import { callWorkflowId, transferWorkflowId } from '../../contracts/ids.ts';
import { requestTransferUpdate } from '../../contracts/messages.ts';
import { TRANSFER_REFUSED } from '../../contracts/refusals.ts';
import { hangUp, placeCall, press, startEngine, type Engine } from '../support/engine.ts';
import {
  bridgedTogether,
  commandsFrom,
  transferResult,
  updateRefusal,
  waitForCallWorkflow,
  waitForPhase,
  waitForTarget,
} from '../support/scenario.ts';

const test = anyTest as TestFn<Engine>;

test.before(async (t) => {
  t.context = await startEngine({}, { scenario: 'ctl', ops: true });
});
test.after.always(async (t) => {
  await t.context?.stop();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function ctl(e: Engine, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'ctl', 'main.ts'), ...args], {
      cwd: repoRoot,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: e.config.TEMPORAL_ADDRESS!,
        ADMIN_URLS: e.ops!.url,
        TEMPORAL_UI_URL: 'http://ui.example:8233',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = { stdout: '', stderr: '' };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ctl ${args.join(' ')} timed out\n${out.stdout}\n${out.stderr}`));
    }, 60_000);
    child.stdout.on('data', (d: Buffer) => (out.stdout += d));
    child.stderr.on('data', (d: Buffer) => (out.stderr += d));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, ...out });
    });
  });
}

async function json<T>(e: Engine, args: string[]): Promise<T> {
  const r = await ctl(e, [...args, '--json']);
  if (r.code !== 0) throw new Error(`ctl ${args.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/**
 * Visibility is eventually consistent: ask again until the listing shows what is expected, and return what it last
 * showed.
 */
async function readUntil<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 300));
  }
}

test.serial('calls and call: running calls by node and account, one call with its state and UI link', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  await waitForCallWorkflow(e, alice.uuid);
  await waitForCallWorkflow(e, bob.uuid);
  type CallRow = { call: string; state: string; node: string; account: string };
  const listed = await readUntil(
    () => json<CallRow[]>(e, ['calls', '--node', e.node.name]),
    (rows) => rows.some((r) => r.call === alice.uuid && r.state === 'bridged'),
  );
  const row = listed.find((r) => r.call === alice.uuid);
  t.like(row, { state: 'bridged', node: e.node.name, account: e.demo.accountId });
  t.true(listed.some((r) => r.call === bob.uuid));
  t.deepEqual(await json<CallRow[]>(e, ['calls', '--node', 'no-such-node']), []);
  const table = await ctl(e, ['calls', '--account', e.demo.accountId]);
  t.is(table.code, 0);
  t.regex(table.stdout, /^CALL\s+STATE\s+NODE\s+ACCOUNT\s+STARTED/m);
  t.true(table.stdout.includes(alice.uuid));

  const one = await ctl(e, ['call', alice.uuid]);
  t.is(one.code, 0, one.stderr);
  t.regex(one.stdout, /state:\s+bridged/);
  t.regex(one.stdout, new RegExp(`hears:\\s+talking to ${bob.uuid.slice(0, 8)}`));
  t.true(one.stdout.includes(`http://ui.example:8233/namespaces/default/workflows/call%3A${alice.uuid}`));

  const missing = await ctl(e, ['call', '00000000-0000-0000-0000-000000000000']);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /no call/);
  await hangUp(e, alice.uuid);
});

test.serial('transfers, call during a transfer, cancel, stats', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  await waitForCallWorkflow(e, alice.uuid);
  const commands = commandsFrom(e);
  await press(e, alice.uuid, '*22600');
  const carol = await waitForTarget(e, commands);
  await bridgedTogether(e, alice.uuid, carol);
  await waitForPhase(e, alice, bob, 'consulting');
  const transferId = transferWorkflowId(alice.uuid, bob.uuid);

  const during = await ctl(e, ['call', alice.uuid]);
  t.is(during.code, 0, during.stderr);
  t.regex(during.stdout, /state:\s+in_transfer/);
  t.true(during.stdout.includes(transferId));
  t.regex(
    during.stdout,
    /who hears what:\s+transferor \S+ talks to target 2600 \S+; transferee \S+ hears music on hold/,
  );
  t.true(during.stdout.includes(`transfer ui:`));

  type TransferRow = { transfer: string; state: string; outcome?: string; status: string };
  const consulting = await readUntil(
    () => json<TransferRow[]>(e, ['transfers', '--state', 'consulting', '--since', '10m']),
    (rows) => rows.some((r) => r.transfer === transferId),
  );
  t.true(consulting.some((r) => r.transfer === transferId && r.status === 'running'));

  const cancelled = await ctl(e, ['cancel', transferId]);
  t.is(cancelled.code, 0, cancelled.stderr);
  t.regex(cancelled.stdout, /ended taken_back \(ctl\)/);
  await bridgedTogether(e, alice.uuid, bob.uuid);
  const again = await ctl(e, ['cancel', transferId]);
  t.is(again.code, 1);
  t.regex(again.stderr, /not running/);

  const takenBack = await readUntil(
    () => json<TransferRow[]>(e, ['transfers', '--outcome', 'taken_back', '--since', '10m']),
    (rows) => rows.some((r) => r.transfer === transferId),
  );
  t.true(takenBack.some((r) => r.transfer === transferId && r.state === 'ended'));
  const stats = await readUntil(
    () => json<{ outcomes: Record<string, number>; ended: number }>(e, ['stats', '--since', '10m']),
    (s) => s.outcomes['taken_back']! >= 1,
  );
  t.true(stats.outcomes['taken_back']! >= 1);
  const text = await ctl(e, ['stats', '--since', '10m']);
  t.regex(text.stdout, /^taken_back\s+\d+$/m);
  await hangUp(e, alice.uuid);
});

test.serial('drain: no new transfers on the node while it drains; --off takes them again', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  await waitForCallWorkflow(e, alice.uuid);
  const drained = await ctl(e, ['drain', e.node.name]);
  t.is(drained.code, 0, drained.stderr);
  t.regex(drained.stdout, /draining: no new transfers; 0 running/);
  const status = await json<{ draining: boolean; drainedBy: string }>(e, ['drain', e.node.name]);
  t.true(status.draining);
  t.regex(status.drainedBy, /^ctl@/);

  const handle = e.client.workflow.getHandle(callWorkflowId(alice.uuid));
  const refusal = await updateRefusal(t, handle.executeUpdate(requestTransferUpdate, { args: [{ target: '2600' }] }));
  t.is(refusal?.type, TRANSFER_REFUSED);
  t.deepEqual(refusal?.details, ['node_draining']);

  const undrained = await ctl(e, ['drain', e.node.name, '--off']);
  t.is(undrained.code, 0, undrained.stderr);
  t.regex(undrained.stdout, /drain off/);
  const accepted = await handle.executeUpdate(requestTransferUpdate, { args: [{ target: '2600' }] });
  t.is(accepted.transferId, transferWorkflowId(alice.uuid, bob.uuid));
  await hangUp(e, alice.uuid);
  const ended = await transferResult(e, alice, bob);
  t.truthy(ended.outcome);
});

test.serial('node: what each serving process sees of the node, changing nothing', async (t) => {
  const e = t.context;
  const r = await ctl(e, ['node', e.node.name, '--json']);
  t.is(r.code, 0, r.stderr);
  const [answer] = JSON.parse(r.stdout) as {
    status: number;
    body: { node: string; esl: string; draining: boolean; commandConnectionsUp: number; commandConnections: number };
  }[];
  t.is(answer?.status, 200);
  t.is(answer?.body.node, e.node.name);
  t.is(answer?.body.esl, 'connected');
  t.false(answer?.body.draining, 'reading the node does not drain it');
  t.true(answer!.body.commandConnections >= 1);
  t.true(
    answer!.body.commandConnectionsUp >= 1 && answer!.body.commandConnectionsUp <= answer!.body.commandConnections,
  );
  const text = await ctl(e, ['node', e.node.name]);
  t.regex(text.stdout, /commandConnectionsUp:\s+\d+/);
  const unknown = await ctl(e, ['node', 'no-such-node']);
  t.is(unknown.code, 1);
});

test.serial('reconcile: through the node worker admin endpoint; an unknown node is 1, no endpoint 3', async (t) => {
  const e = t.context;
  const r = await ctl(e, ['reconcile', e.node.name, '--json']);
  t.is(r.code, 0, r.stderr);
  const [answer] = JSON.parse(r.stdout) as { status: number; body: { node: string; liveChannels: number } }[];
  t.is(answer?.status, 200);
  t.is(answer?.body.node, e.node.name);
  t.is(typeof answer?.body.liveChannels, 'number');
  const unknown = await ctl(e, ['reconcile', 'no-such-node']);
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /no node worker of ADMIN_URLS serves node no-such-node/);
  const nobody = await ctl(e, ['drain', e.node.name], { ADMIN_URLS: 'http://127.0.0.1:1' });
  t.is(nobody.code, 3);
  t.regex(nobody.stderr, /no node worker answers at http:\/\/127\.0\.0\.1:1/);
});

test.serial('usage errors are 2; Temporal out of reach is 3', async (t) => {
  const e = t.context;
  for (const args of [['bogus'], ['transfers', '--since', 'yesterday'], ['call'], ['calls', '--node', "x' OR 1=1"]]) {
    const r = await ctl(e, args);
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, /usage: npm run ctl/);
  }
  const help = await ctl(e, ['help']);
  t.is(help.code, 0);
  const away = await ctl(e, ['calls'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
  t.is(away.code, 3);
  t.regex(away.stderr, /cannot reach Temporal at 127\.0\.0\.1:1/);
});
