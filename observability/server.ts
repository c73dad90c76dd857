// Each process's operations port (METRICS_PORT): GET /metrics (Handoff's prom-client metrics and the Temporal SDK's
// Core metrics, one scrape target per process), GET /healthz (alive), GET /readyz (every readiness check of the roles
// this process runs: 200, or 503 naming what is not ready), and the admin endpoints of the node workers it runs (the
// on-call CLI's reconcile and drain). Admin endpoints answer loopback callers only, or, when ADMIN_TOKEN is set, any
// caller with `Authorization: Bearer <ADMIN_TOKEN>`.
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context } from 'hono';
import type { Logger } from './log.ts';
import { registry } from './metrics.ts';

/** A readiness check: resolves with undefined when ready, or with why not. */
export type ReadinessCheck = () => Promise<string | undefined>;

export interface CheckResult {
  ok: boolean;
  error?: string;
}

/** What the admin endpoints can ask of one node's worker (workers/node-worker.ts provides it). */
export interface NodeAdmin {
  /** Reads the switch's channels and puts workflows right (ingest reconciliation); answers with its report. */
  reconcile(): Promise<Record<string, unknown>>;
  /** Drain on (`by` says who asked) or off; answers with the node's state after it. */
  drain(on: boolean, by: string): Promise<Record<string, unknown>>;
  /** The node's state: ESL, drain, running transfers. */
  status(): Promise<Record<string, unknown>>;
}

export interface OpsServerOptions {
  host: string;
  port: number;
  logger: Logger;
  /** Core's Prometheus exporter (temporal/runtime.ts), read on every scrape. */
  coreMetricsUrl?: string;
  adminToken?: string;
}

export interface OpsServer {
  url: string;
  port: number;
  /** Adds a readiness check; returns a function that removes it (a role that stops). */
  addCheck(name: string, check: ReadinessCheck): () => void;
  /** Serves one node's admin endpoints; returns a function that stops serving them. */
  addNode(node: string, admin: NodeAdmin): () => void;
  readiness(): Promise<{ ready: boolean; checks: Record<string, CheckResult> }>;
  close(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 3000;

function sameSecret(given: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

async function runCheck(check: ReadinessCheck): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const why = await Promise.race([
      check(),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`no answer within ${CHECK_TIMEOUT_MS} ms`), CHECK_TIMEOUT_MS);
      }),
    ]);
    return why === undefined ? { ok: true } : { ok: false, error: why };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const checks = new Map<string, ReadinessCheck>();
  const nodes = new Map<string, NodeAdmin>();
  const started = Date.now();
  const log = opts.logger.child({ component: 'ops' });

  async function readiness() {
    const results: Record<string, CheckResult> = {};
    await Promise.all([...checks].map(async ([name, check]) => (results[name] = await runCheck(check))));
    return { ready: Object.values(results).every((r) => r.ok), checks: results };
  }

  async function coreMetrics(): Promise<string> {
    if (!opts.coreMetricsUrl) return '';
    try {
      const res = await fetch(opts.coreMetricsUrl, { signal: AbortSignal.timeout(2000) });
      return res.ok ? await res.text() : '';
    } catch (err) {
      log.warn({ error: String(err) }, 'the Temporal SDK metrics could not be read');
      return '';
    }
  }

  const app = new Hono();
  app.get('/metrics', async (c) => {
    const [own, core] = await Promise.all([registry.metrics(), coreMetrics()]);
    return c.body(`${own}\n${core}`, 200, { 'Content-Type': registry.contentType });
  });
  app.get('/healthz', (c) => c.json({ status: 'ok', uptime_s: Math.round((Date.now() - started) / 1000) }));
  app.get('/readyz', async (c) => {
    const r = await readiness();
    const notReady = Object.entries(r.checks)
      .filter(([, v]) => !v.ok)
      .map(([k]) => k);
    return c.json(
      { status: r.ready ? 'ready' : 'not ready', not_ready: notReady, checks: r.checks },
      r.ready ? 200 : 503,
    );
  });

  // Admin: loopback callers, or the bearer of ADMIN_TOKEN when one is set.
  app.use('/admin/*', async (c, next) => {
    if (opts.adminToken) {
      const auth = c.req.header('authorization') ?? '';
      const given = auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : '';
      if (!given || !sameSecret(given, opts.adminToken)) return c.json({ error: 'unauthorized' }, 401);
    } else if (!isLoopback(getConnInfo(c).remote.address)) {
      return c.json({ error: 'admin endpoints answer loopback callers only (or set ADMIN_TOKEN)' }, 403);
    }
    await next();
  });
  const nodeOf = (c: Context): NodeAdmin | undefined => nodes.get(c.req.param('node') ?? '');
  const unknownNode = (c: Context) =>
    c.json({ error: `no node worker for ${c.req.param('node')} in this process`, nodes: [...nodes.keys()] }, 404);
  app.get('/admin/nodes', (c) => c.json({ nodes: [...nodes.keys()] }));
  app.get('/admin/nodes/:node', async (c) => {
    const node = nodeOf(c);
    return node ? c.json(await node.status()) : unknownNode(c);
  });
  app.post('/admin/nodes/:node/reconcile', async (c) => {
    const node = nodeOf(c);
    if (!node) return unknownNode(c);
    log.info({ node: c.req.param('node') }, 'admin: reconcile');
    return c.json(await node.reconcile());
  });
  app.put('/admin/nodes/:node/drain', async (c) => {
    const node = nodeOf(c);
    if (!node) return unknownNode(c);
    const by = (c.req.query('by') ?? 'admin').slice(0, 128);
    log.warn({ node: c.req.param('node'), by }, 'admin: drain on');
    return c.json(await node.drain(true, by));
  });
  app.delete('/admin/nodes/:node/drain', async (c) => {
    const node = nodeOf(c);
    if (!node) return unknownNode(c);
    log.warn({ node: c.req.param('node') }, 'admin: drain off');
    return c.json(await node.drain(false, ''));
  });
  app.notFound((c) => c.json({ error: 'not found' }, 404));
  app.onError((err, c) => {
    log.error({ err }, 'ops endpoint failed');
    return c.json({ error: err.message }, 500);
  });

  let server: ServerType | undefined;
  const info = await new Promise<AddressInfo>((resolve, reject) => {
    server = serve({ fetch: app.fetch, hostname: opts.host, port: opts.port }, resolve);
    server.once('error', reject);
  });
  const listening = server as ServerType;
  const urlHost = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  return {
    url: `http://${urlHost === '0.0.0.0' ? '127.0.0.1' : urlHost}:${info.port}`,
    port: info.port,
    addCheck(name, check) {
      checks.set(name, check);
      return () => void (checks.get(name) === check && checks.delete(name));
    },
    addNode(node, admin) {
      nodes.set(node, admin);
      return () => void (nodes.get(node) === admin && nodes.delete(node));
    },
    readiness,
    close: () =>
      new Promise<void>((done) => {
        listening.close(() => done());
        if ('closeAllConnections' in listening) listening.closeAllConnections();
      }),
  };
}
