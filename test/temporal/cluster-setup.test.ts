// The start-up check of the cluster and `npm run admin -- temporal-setup`, against a dev server of this file's own
// started WITHOUT Handoff's search attributes (as a fresh self-hosted cluster is): a role refuses to start and names
// what is missing and the commands that fix it; temporal-setup registers them; the role then starts.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { msToTs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { loadConfig, repoRoot } from '../../config/index.ts';
import { startDevServer, waitForTemporal, type DevServer } from '../../scripts/lib/temporal-dev-server.ts';
import { checkCluster, ClusterSetupError, tcldCommand } from '../../temporal/cluster.ts';
import { connectClient } from '../../temporal/connection.ts';
import { SEARCH_ATTRIBUTES } from '../../contracts/search-attributes.ts';

let server: DevServer;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-cluster-'));

test.before(async () => {
  server = await startDevServer({ cli: process.env.TEMPORAL_CLI, searchAttributes: false });
  await waitForTemporal(server.address);
});

test.after.always(async () => {
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a project entry point as its own process, configured by environment only; `until` ends it early (SIGTERM). */
function run(args: string[], env: Record<string, string>, until?: RegExp, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TEMPORAL_')));
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: repoRoot,
      env: { ...clean, HANDOFF_DATA_DIR: dataDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = { stdout: '', stderr: '' };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out: ${args.join(' ')}\n${out.stdout}\n${out.stderr}`));
    }, timeoutMs);
    const watch = () => {
      if (until && until.test(out.stdout)) child.kill('SIGTERM');
    };
    child.stdout.on('data', (d: Buffer) => ((out.stdout += d), watch()));
    child.stderr.on('data', (d: Buffer) => (out.stderr += d));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, ...out });
    });
  });
}

const NAMES = Object.keys(SEARCH_ATTRIBUTES);

test('bin/handoff.ts: --help prints the usage (code 0); an unknown option or no role is a usage error (code 2), no stack', async (t) => {
  const help = await run(['bin/handoff.ts', '--help'], {});
  t.is(help.code, 0, help.stderr);
  t.regex(help.stdout, /^usage: npm run handoff -- --role workflows\|nodes\|api\|codec/);
  for (const args of [['--bogus'], ['--role', 'workflows', 'stray'], [], ['--role', 'nope']]) {
    const r = await run(['bin/handoff.ts', ...args], {});
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, /usage: npm run handoff -- --role/, args.join(' '));
    t.notRegex(r.stderr, /\n\s+at /, args.join(' '));
  }
});

test.serial(
  'a role refuses to start on a namespace without the search attributes, naming them and the fix',
  async (t) => {
    const r = await run(['bin/handoff.ts', '--role', 'workflows'], { TEMPORAL_ADDRESS: server.address });
    t.is(r.code, 3, r.stderr);
    for (const name of NAMES) t.regex(r.stderr, new RegExp(name));
    t.regex(r.stderr, /npm run admin -- temporal-setup/);
    t.true(r.stderr.includes(tcldCommand('default', NAMES)), r.stderr);
    t.notRegex(r.stderr, /^\s+at /m, 'a message, not a stack trace');
  },
);

test.serial('a role refuses to start on a namespace that does not exist', async (t) => {
  const r = await run(['bin/handoff.ts', '--role', 'api'], {
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: 'no-such-namespace',
    HANDOFF_JWT_SECRET: 'x'.repeat(32),
  });
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /namespace "no-such-namespace" does not exist/);
  t.regex(r.stderr, /temporal operator namespace create --namespace no-such-namespace/);
});

test.serial('a search attribute registered with another type is named, with how to put it right', async (t) => {
  const config = loadConfig({ TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'wrong-types' });
  const { connection } = await connectClient(config);
  try {
    await connection.workflowService.registerNamespace({
      namespace: 'wrong-types',
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    await connection.operatorService.addSearchAttributes({
      namespace: 'wrong-types',
      searchAttributes: { HandoffNode: proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT },
    });
    const err = await t.throwsAsync(() => checkCluster(connection, 'wrong-types'), { instanceOf: ClusterSetupError });
    t.regex(err!.message, /HandoffNode is registered as Text .* Handoff needs Keyword/);
    t.regex(
      err!.message,
      /lacks the search attribute\(s\) HandoffAccountId, HandoffCallState, HandoffTransferState, HandoffTransferOutcome\./,
    );
  } finally {
    await connection.close();
  }
});

test.serial('admin temporal-setup registers them; the role then starts', async (t) => {
  const setup = await run(['api/admin.ts', 'temporal-setup'], { TEMPORAL_ADDRESS: server.address });
  t.is(setup.code, 0, setup.stderr);
  const out = JSON.parse(setup.stdout) as { namespace: string; added: string[]; temporal_cloud: string };
  t.deepEqual([...out.added].sort(), [...NAMES].sort());
  t.is(out.temporal_cloud, tcldCommand('default'));
  t.regex(out.temporal_cloud, /^tcld namespace search-attributes add --namespace default --search-attribute "Handoff/);

  // Idempotent: nothing left to add.
  const again = await run(['api/admin.ts', 'temporal-setup'], { TEMPORAL_ADDRESS: server.address });
  t.is(again.code, 0, again.stderr);
  t.deepEqual((JSON.parse(again.stdout) as { added: string[] }).added, []);

  const role = await run(
    ['bin/handoff.ts', '--role', 'workflows'],
    { TEMPORAL_ADDRESS: server.address, WORKFLOW_TASK_QUEUE: 'cluster-setup-test' },
    /workflow worker running/,
  );
  t.regex(role.stdout, /workflow worker running on task queue cluster-setup-test/, role.stderr);
  t.is(role.code, 0, role.stderr);
});
