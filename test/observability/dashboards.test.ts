// The Grafana dashboard and the alert rules in the repository use only metrics that Handoff exports. Handoff's own
// (and the process metrics) are checked here against a process's /metrics; the Temporal SDK's temporal_* ones need
// running workers and are checked by test/e2e/observability.test.ts after a transfer.
import test from 'ava';
import { createLogger } from '../../observability/log.ts';
import { startOpsServer } from '../../observability/server.ts';
import { alertExpressions, dashboardExpressions, exportedFamilies, metricFamilies } from '../support/dashboards.ts';

test('every handoff_ and process metric the dashboard and the alert rules use is exported on /metrics', async (t) => {
  const ops = await startOpsServer({
    host: '127.0.0.1',
    port: 0,
    logger: createLogger({ LOG_LEVEL: 'silent', LOG_REDACT_NUMBERS: false }, { format: 'json' }),
  });
  t.teardown(() => ops.close());
  const res = await fetch(`${ops.url}/metrics`);
  t.is(res.status, 200);
  t.regex(res.headers.get('content-type') ?? '', /^text\/plain/);
  const exported = exportedFamilies(await res.text());
  const alerts = alertExpressions();
  const panels = dashboardExpressions();
  t.true(alerts.length >= 5, 'the alert rules are read');
  t.true(panels.length >= 20, 'the dashboard panels are read');
  const used = new Set([...alerts, ...panels].flatMap(metricFamilies).filter((n) => !n.startsWith('temporal_')));
  t.true(used.size >= 10);
  for (const name of used) t.true(exported.has(name), `${name} is used but not exported`);
});

test('the alert rules cover what on-call needs: ESL down, failing transfers, ingest lag, switch command errors', (t) => {
  const families = alertExpressions().flatMap(metricFamilies);
  for (const name of [
    'handoff_esl_connected',
    'handoff_transfers_ended_total',
    'handoff_ingest_delivery_seconds',
    'handoff_switch_commands_total',
  ]) {
    t.true(families.includes(name), name);
  }
});
