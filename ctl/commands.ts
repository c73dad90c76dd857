// The on-call CLI's commands. Calls and transfers are read from Temporal (visibility, describe, queries), as the
// Temporal UI shows them; reconcile and drain go to the node workers' admin endpoints (observability/server.ts).
// Each command answers an exit code (0 done, 1 not found or refused, 2 usage, 3 unreachable), a text for a person and
// the same facts as JSON for scripts.
import {
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import type { Config } from '../config/index.ts';
import { callWorkflowId } from '../contracts/ids.ts';
import { callQuery, takebackSignal, transferQuery, TRANSFER_OUTCOMES } from '../contracts/messages.ts';
import type { CallSummary, TransferSummary } from '../contracts/messages.ts';
import { ACCOUNT_ID, CALL_STATE, NODE, TRANSFER_OUTCOME, TRANSFER_STATE } from '../contracts/search-attributes.ts';
import { callHearing, transferHearing } from '../workflows/story.ts';
import { block, isoTime, parseSince, table, type Row } from './format.ts';

export const EXIT = { ok: 0, notFound: 1, usage: 2, unreachable: 3 } as const;

export interface Result {
  code: number;
  text: string;
  json: unknown;
}

export class UsageError extends Error {}
export class UnreachableError extends Error {}

const CALL_TYPE = 'callWorkflow';
const TRANSFER_TYPE = 'transferWorkflow';
/** Values that go into a visibility query: IDs, node names, states (no quotes, no spaces). */
const QUERY_VALUE = /^[A-Za-z0-9_.:-]{1,128}$/;

export interface CtlContext {
  config: Config;
  /** Connects on first use: commands that talk to the admin endpoints only need no Temporal. */
  client(): Promise<Client>;
}

function queryValue(name: string, value: string): string {
  if (!QUERY_VALUE.test(value)) throw new UsageError(`--${name}: ${JSON.stringify(value)} is not a valid value`);
  return value;
}

function since(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const ms = parseSince(text);
  if (ms === undefined)
    throw new UsageError(`--since: expected a duration like 30m, 1h or 2d, got ${JSON.stringify(text)}`);
  return new Date(Date.now() - ms);
}

/** The Temporal UI's page of a workflow. */
export function uiLink(config: Config, workflowId: string): string {
  const base = config.TEMPORAL_UI_URL?.replace(/\/+$/, '') ?? `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`;
  return `${base}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowId)}`;
}

function attr(info: WorkflowExecutionInfo, key: typeof NODE): string | undefined {
  const v = info.typedSearchAttributes.get(key);
  return typeof v === 'string' ? v : undefined;
}

async function listAll(client: Client, query: string, limit: number): Promise<WorkflowExecutionInfo[]> {
  const found: WorkflowExecutionInfo[] = [];
  for await (const wf of client.workflow.list({ query })) {
    found.push(wf);
    if (found.length >= limit) break;
  }
  return found;
}

export async function calls(
  ctx: CtlContext,
  opts: { account?: string; node?: string; state?: string; limit: number },
): Promise<Result> {
  const where = [`WorkflowType = '${CALL_TYPE}'`, `ExecutionStatus = 'Running'`];
  if (opts.account) where.push(`HandoffAccountId = '${queryValue('account', opts.account)}'`);
  if (opts.node) where.push(`HandoffNode = '${queryValue('node', opts.node)}'`);
  if (opts.state) where.push(`HandoffCallState = '${queryValue('state', opts.state)}'`);
  const found = await listAll(await ctx.client(), where.join(' AND '), opts.limit);
  const rows: Row[] = found.map((wf) => ({
    call: wf.workflowId.replace(/^call:/, ''),
    state: attr(wf, CALL_STATE),
    node: attr(wf, NODE),
    account: attr(wf, ACCOUNT_ID),
    started: isoTime(wf.startTime),
  }));
  return {
    code: EXIT.ok,
    text: table(rows, ['call', 'state', 'node', 'account', 'started'], '(no running calls)'),
    json: rows,
  };
}

async function describe(client: Client, workflowId: string): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** A workflow's state from its query (running) or its result (closed); undefined when neither answers. */
async function stateOf<T>(
  client: Client,
  workflowId: string,
  running: boolean,
  query: typeof callQuery | typeof transferQuery,
): Promise<T | undefined> {
  const handle = client.workflow.getHandle(workflowId);
  try {
    if (running) return (await handle.query(query)) as T;
    return (await handle.result()) as T;
  } catch {
    return undefined;
  }
}

export async function call(ctx: CtlContext, callId: string): Promise<Result> {
  const client = await ctx.client();
  const workflowId = callWorkflowId(callId);
  const desc = await describe(client, workflowId);
  if (!desc) return { code: EXIT.notFound, text: `no call ${callId}`, json: { error: 'not_found', callId } };
  const running = desc.status.name === 'RUNNING';
  const summary = await stateOf<CallSummary>(client, workflowId, running, callQuery);
  const transferId = summary?.activeTransferId ?? summary?.transfer?.transferId;
  let transfer: TransferSummary | undefined;
  if (transferId) {
    const t = await describe(client, transferId);
    if (t) transfer = await stateOf<TransferSummary>(client, transferId, t.status.name === 'RUNNING', transferQuery);
  }
  transfer ??= summary?.transfer;
  const links = {
    call: uiLink(ctx.config, workflowId),
    ...(transferId ? { transfer: uiLink(ctx.config, transferId) } : {}),
  };
  const staticSummary = await desc.staticSummary().catch(() => undefined);
  const text = block({
    call: callId,
    workflow: `${desc.status.name.toLowerCase()}${desc.closeTime ? ` (closed ${isoTime(desc.closeTime)})` : ''}`,
    summary: staticSummary,
    state: summary?.phase ?? attr(desc, CALL_STATE),
    node: summary?.node ?? attr(desc, NODE),
    account: summary?.accountId ?? attr(desc, ACCOUNT_ID),
    direction: summary?.direction,
    caller: [summary?.callerIdNumber, summary?.callerIdName].filter(Boolean).join(' ') || undefined,
    'bridged to': summary?.bridgedTo,
    hears: summary ? callHearing(summary) : undefined,
    transfer: transfer
      ? `${transfer.transferId} (${transfer.phase}${transfer.outcome ? `, ${transfer.outcome}` : ''}, ${transfer.type}, target ${transfer.target})`
      : undefined,
    'transfer legs': transfer
      ? `transferor ${transfer.transferor}, transferee ${transfer.transferee}, target ${transfer.targetLeg ?? '-'}`
      : undefined,
    'who hears what': transfer && transfer.phase !== 'ended' ? transferHearing(transfer) : undefined,
    'temporal ui': links.call,
    'transfer ui': links.transfer,
  });
  return {
    code: EXIT.ok,
    text,
    json: { callId, status: desc.status.name, summary: staticSummary, call: summary, transfer, links },
  };
}

export async function transfers(
  ctx: CtlContext,
  opts: { state?: string; outcome?: string; since?: string; node?: string; account?: string; limit: number },
): Promise<Result> {
  const where = [`WorkflowType = '${TRANSFER_TYPE}'`];
  if (opts.state) where.push(`HandoffTransferState = '${queryValue('state', opts.state)}'`);
  if (opts.outcome) where.push(`HandoffTransferOutcome = '${queryValue('outcome', opts.outcome)}'`);
  if (opts.node) where.push(`HandoffNode = '${queryValue('node', opts.node)}'`);
  if (opts.account) where.push(`HandoffAccountId = '${queryValue('account', opts.account)}'`);
  const from = since(opts.since);
  if (from) where.push(`StartTime > '${from.toISOString()}'`);
  const found = await listAll(await ctx.client(), where.join(' AND '), opts.limit);
  const rows: Row[] = found.map((wf) => ({
    transfer: wf.workflowId,
    state: attr(wf, TRANSFER_STATE),
    outcome: attr(wf, TRANSFER_OUTCOME),
    node: attr(wf, NODE),
    started: isoTime(wf.startTime),
    closed: isoTime(wf.closeTime),
    status: wf.status.name.toLowerCase(),
  }));
  return {
    code: EXIT.ok,
    text: table(rows, ['transfer', 'state', 'outcome', 'node', 'started', 'closed', 'status'], '(no transfers)'),
    json: rows,
  };
}

export async function cancel(ctx: CtlContext, transferId: string, waitMs = 10_000): Promise<Result> {
  if (!/^transfer:[A-Za-z0-9._-]+:[A-Za-z0-9._-]+$/.test(transferId))
    throw new UsageError(`expected a transfer ID (transfer:<leg>:<leg>), got ${JSON.stringify(transferId)}`);
  const client = await ctx.client();
  const desc = await describe(client, transferId);
  if (!desc)
    return { code: EXIT.notFound, text: `no transfer ${transferId}`, json: { error: 'not_found', transferId } };
  if (desc.status.name !== 'RUNNING') {
    return {
      code: EXIT.notFound,
      text: `transfer ${transferId} is not running (${desc.status.name.toLowerCase()})`,
      json: { error: 'not_running', transferId, status: desc.status.name },
    };
  }
  const handle = client.workflow.getHandle(transferId, desc.runId);
  await handle.signal(takebackSignal, { by: 'ctl' });
  // The transfer gives the transferor back to the transferee (or, with the transferor gone, has nobody to give back).
  const ended = await Promise.race([
    handle.result() as Promise<TransferSummary>,
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), waitMs).unref()),
  ]).catch(() => undefined);
  const state = ended ?? (await stateOf<TransferSummary>(client, transferId, true, transferQuery));
  return {
    code: EXIT.ok,
    text: ended
      ? `cancelled: ${transferId} ended ${ended.outcome ?? 'without an outcome'}${ended.reason ? ` (${ended.reason})` : ''}`
      : `cancel sent to ${transferId}; it is ${state?.phase ?? 'still running'} (a partial transfer has no transferor to give back to)`,
    json: { transferId, cancelled: true, transfer: state },
  };
}

export async function stats(ctx: CtlContext, opts: { since?: string }): Promise<Result> {
  const client = await ctx.client();
  const from = since(opts.since ?? '1h')!;
  const window = `WorkflowType = '${TRANSFER_TYPE}' AND StartTime > '${from.toISOString()}'`;
  const [byOutcome, running] = await Promise.all([
    Promise.all(
      TRANSFER_OUTCOMES.map(async (o) => ({
        outcome: o,
        count: (await client.workflow.count(`${window} AND HandoffTransferOutcome = '${o}'`)).count,
      })),
    ),
    client.workflow.count(`${window} AND ExecutionStatus = 'Running'`),
  ]);
  const rows: Row[] = byOutcome.filter((r) => r.count > 0);
  const total = byOutcome.reduce((n, r) => n + r.count, 0);
  const text = [
    `transfers started since ${isoTime(from)}: ${total + running.count} (${running.count} running)`,
    table(rows, ['outcome', 'count'], '(no transfer has ended)'),
  ].join('\n');
  return {
    code: EXIT.ok,
    text,
    json: {
      since: from.toISOString(),
      running: running.count,
      ended: total,
      outcomes: Object.fromEntries(byOutcome.map((r) => [r.outcome, r.count])),
    },
  };
}

// --- admin endpoints (node workers) -----------------------------------------------------------------------------

function adminUrls(config: Config): string[] {
  return config.ADMIN_URLS.length ? config.ADMIN_URLS : [`http://127.0.0.1:${config.METRICS_PORT}`];
}

async function adminFetch(config: Config, url: string, init: RequestInit = {}): Promise<Response> {
  const headers: Record<string, string> = config.ADMIN_TOKEN ? { authorization: `Bearer ${config.ADMIN_TOKEN}` } : {};
  return fetch(url, { ...init, headers, signal: AbortSignal.timeout(30_000) });
}

/** The operations ports that serve `node` (both processes of an HA pair, say). */
async function nodeServers(config: Config, node: string): Promise<{ serving: string[]; reached: string[] }> {
  const reached: string[] = [];
  const serving: string[] = [];
  await Promise.all(
    adminUrls(config).map(async (base) => {
      try {
        const res = await adminFetch(config, `${base}/admin/nodes`);
        if (!res.ok) return;
        reached.push(base);
        const body = (await res.json()) as { nodes?: string[] };
        if (body.nodes?.includes(node)) serving.push(base);
      } catch {
        // unreachable: reported below if none answers
      }
    }),
  );
  return { serving, reached };
}

async function onNode(
  ctx: CtlContext,
  node: string,
  method: 'POST' | 'PUT' | 'DELETE' | 'GET',
  path: string,
): Promise<{ code: number; answers: { url: string; status: number; body: Record<string, unknown> }[] }> {
  queryValue('node', node);
  const { serving, reached } = await nodeServers(ctx.config, node);
  if (reached.length === 0) {
    throw new UnreachableError(
      `no node worker answers at ${adminUrls(ctx.config).join(', ')} (ADMIN_URLS; ADMIN_TOKEN if they want one)`,
    );
  }
  if (serving.length === 0) return { code: EXIT.notFound, answers: [] };
  const answers = await Promise.all(
    serving.map(async (base) => {
      const res = await adminFetch(ctx.config, `${base}/admin/nodes/${encodeURIComponent(node)}${path}`, { method });
      return { url: base, status: res.status, body: (await res.json()) as Record<string, unknown> };
    }),
  );
  return { code: answers.every((a) => a.status === 200) ? EXIT.ok : EXIT.notFound, answers };
}

function notServed(node: string): Result {
  return {
    code: EXIT.notFound,
    text: `no node worker of ADMIN_URLS serves node ${node}`,
    json: { error: 'not_found', node },
  };
}

export async function reconcile(ctx: CtlContext, node: string): Promise<Result> {
  const r = await onNode(ctx, node, 'POST', '/reconcile');
  if (!r.answers.length) return notServed(node);
  const text = r.answers.map((a) => `${a.url}: ${a.status === 200 ? 'reconciled' : 'failed'}\n${block(a.body as Row)}`);
  return { code: r.code, text: text.join('\n\n'), json: r.answers };
}

/** What each process serving the node says of it (both of an HA pair): ESL connections, drain, running transfers. */
export async function node(ctx: CtlContext, name: string): Promise<Result> {
  const r = await onNode(ctx, name, 'GET', '');
  if (!r.answers.length) return notServed(name);
  const text = r.answers.map((a) => `${a.url}:\n${block(a.body as Row)}`);
  return { code: r.code, text: text.join('\n\n'), json: r.answers };
}

export async function drain(
  ctx: CtlContext,
  node: string,
  opts: { off?: boolean; wait?: boolean; by: string },
): Promise<Result> {
  const r = await onNode(ctx, node, opts.off ? 'DELETE' : 'PUT', `/drain?by=${encodeURIComponent(opts.by)}`);
  if (!r.answers.length) return notServed(node);
  let status = r.answers[0]!.body;
  if (opts.wait && !opts.off) {
    // Running transfers finish on their own; new ones are refused (node_draining).
    while (Number(status['runningTransfers'] ?? 0) > 0) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      status = (await onNode(ctx, node, 'GET', '')).answers[0]?.body ?? status;
    }
  }
  const head = opts.off
    ? `node ${node}: drain off, new transfers are taken again`
    : `node ${node}: draining: no new transfers; ${String(status['runningTransfers'] ?? '?')} running`;
  return { code: r.code, text: `${head}\n${block(status as Row)}`, json: status };
}
