// The operations port: readiness names what is not ready; admin endpoints answer loopback callers, or only the
// bearer of ADMIN_TOKEN when one is set.
import os from 'node:os';
import test from 'ava';
import { createLogger } from '../../observability/log.ts';
import { startOpsServer, type NodeAdmin } from '../../observability/server.ts';

const logger = createLogger({ LOG_LEVEL: 'silent', LOG_REDACT_NUMBERS: false }, { format: 'json' });

const admin = (calls: string[]): NodeAdmin => ({
  reconcile: async () => (calls.push('reconcile'), { liveCalls: 0 }),
  drain: async (on, by) => (calls.push(`drain ${on} ${by}`), { draining: on }),
  status: async () => ({ draining: false }),
});

test('/readyz is 200 when every check passes, else 503 naming each check that fails and why', async (t) => {
  const ops = await startOpsServer({ host: '127.0.0.1', port: 0, logger });
  t.teardown(() => ops.close());
  let eslUp = true;
  ops.addCheck('temporal', async () => undefined);
  const remove = ops.addCheck('esl:fs1', async () => (eslUp ? undefined : 'ESL events connection down'));
  let res = await fetch(`${ops.url}/readyz`);
  t.is(res.status, 200);
  eslUp = false;
  res = await fetch(`${ops.url}/readyz`);
  t.is(res.status, 503);
  const body = (await res.json()) as { not_ready: string[]; checks: Record<string, { ok: boolean; error?: string }> };
  t.deepEqual(body.not_ready, ['esl:fs1']);
  t.is(body.checks['esl:fs1']?.error, 'ESL events connection down');
  t.true(body.checks['temporal']?.ok);
  remove();
  t.is((await fetch(`${ops.url}/readyz`)).status, 200);
  t.is((await fetch(`${ops.url}/healthz`)).status, 200);
});

test('a check that throws or hangs makes the process not ready, with the reason', async (t) => {
  const ops = await startOpsServer({ host: '127.0.0.1', port: 0, logger });
  t.teardown(() => ops.close());
  ops.addCheck('store', async () => {
    throw new Error('database is locked');
  });
  ops.addCheck('temporal', () => new Promise(() => undefined));
  const res = await fetch(`${ops.url}/readyz`);
  t.is(res.status, 503);
  const body = (await res.json()) as { checks: Record<string, { error?: string }> };
  t.is(body.checks['store']?.error, 'database is locked');
  t.regex(body.checks['temporal']?.error ?? '', /no answer within/);
});

test('admin endpoints: a node this process does not serve is 404; drain and reconcile reach the node', async (t) => {
  const ops = await startOpsServer({ host: '127.0.0.1', port: 0, logger });
  t.teardown(() => ops.close());
  const calls: string[] = [];
  ops.addNode('fs1', admin(calls));
  t.is((await fetch(`${ops.url}/admin/nodes/fs2/reconcile`, { method: 'POST' })).status, 404);
  t.deepEqual(await (await fetch(`${ops.url}/admin/nodes`)).json(), { nodes: ['fs1'] });
  t.is((await fetch(`${ops.url}/admin/nodes/fs1/reconcile`, { method: 'POST' })).status, 200);
  t.is((await fetch(`${ops.url}/admin/nodes/fs1/drain?by=alice`, { method: 'PUT' })).status, 200);
  t.is((await fetch(`${ops.url}/admin/nodes/fs1/drain`, { method: 'DELETE' })).status, 200);
  t.deepEqual(calls, ['reconcile', 'drain true alice', 'drain false ']);
});

test('with ADMIN_TOKEN, admin endpoints want the token; /metrics and health do not', async (t) => {
  const ops = await startOpsServer({ host: '127.0.0.1', port: 0, logger, adminToken: 'a-long-admin-token-123' });
  t.teardown(() => ops.close());
  ops.addNode('fs1', admin([]));
  t.is((await fetch(`${ops.url}/admin/nodes`)).status, 401);
  const bad = { headers: { authorization: 'Bearer wrong-token-wrong-token' } };
  t.is((await fetch(`${ops.url}/admin/nodes`, bad)).status, 401);
  const good = { headers: { authorization: 'Bearer a-long-admin-token-123' } };
  t.is((await fetch(`${ops.url}/admin/nodes`, good)).status, 200);
  t.is((await fetch(`${ops.url}/metrics`)).status, 200);
  t.is((await fetch(`${ops.url}/healthz`)).status, 200);
});

test('without ADMIN_TOKEN, a caller from another address gets 403 from admin endpoints (metrics still answer)', async (t) => {
  const external = Object.values(os.networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  if (!external) {
    t.pass('this machine has no non-loopback IPv4 address to call from');
    return;
  }
  const ops = await startOpsServer({ host: '0.0.0.0', port: 0, logger });
  t.teardown(() => ops.close());
  ops.addNode('fs1', admin([]));
  t.is((await fetch(`http://${external}:${ops.port}/admin/nodes`)).status, 403);
  t.is((await fetch(`http://${external}:${ops.port}/metrics`)).status, 200);
  t.is((await fetch(`http://127.0.0.1:${ops.port}/admin/nodes`)).status, 200);
});
