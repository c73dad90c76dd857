// A FreeSWITCH node lost for good (its machine dead, its switch unreachable for good, or retired with calls still
// listed) leaves workflows that nothing ends: no ingest sends their hangups, no worker runs their switch commands.
// - Every node worker whose event connection is up writes, every period, that its node is connected (the store).
// - Every node worker also looks, every period, for nodes no ingest has been connected to for NODE_GONE_AFTER_S. It
//   claims such a node (one worker at a time, for a lease), sends each of the node's running call workflows a GONE
//   event (its channel is gone as far as anyone can know: the calls went with the switch), removes the node's rows
//   from the live-channel projection and, once none of its calls runs, terminates the node's transfers still running
//   (their switch commands would wait for a worker for ever; their callers are gone) and forgets the node.
// - If the switch comes back, its ingest's first reconcile gives every live channel a new call workflow.
// A worker judges other nodes only after it has been running that long itself: when the whole cluster restarts, every
// node gets the same time to reconnect before any is taken for lost.
import crypto from 'node:crypto';
import os from 'node:os';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { callWorkflowId } from '../contracts/ids.ts';
import { channelEventsSignal } from '../contracts/messages.ts';
import type { Store } from '../store/index.ts';
import type { Logger } from './esl/index.ts';
import { CALL_WORKFLOW_TYPE } from './ingest/deliver.ts';
import { goneEvent } from './ingest/reconcile.ts';
import { TRANSFER_WORKFLOW_TYPE } from './ingest/transfers.ts';

export interface LostNodesOptions {
  /** This worker's node. */
  node: string;
  /** Whether this worker's event connection to its switch is up now. */
  connected(): boolean;
  store: Pick<Store, 'nodeConnected' | 'claimLostNodes' | 'forgetNode' | 'listNodeChannels' | 'writeChannels'>;
  client: Client;
  /** NODE_GONE_AFTER_S in ms; 0 turns the sweep off (the liveness is still written). */
  goneAfterMs: number;
  logger: Logger;
}

export interface LostNodeReport {
  node: string;
  /** When an ingest was last connected to it. */
  connectedAt: number;
  /** Call workflows sent a GONE event this time. */
  calls: number;
  /** Transfer workflows terminated this time (only once none of the node's calls runs). */
  transfers: number;
  /** Projection rows removed. */
  channels: number;
  /** Nothing of the node runs any more: it is forgotten until an ingest connects to it again. */
  forgotten: boolean;
}

export interface LostNodes {
  /** One look now (also run every period); the nodes it found lost and what it did. */
  sweep(): Promise<LostNodeReport[]>;
  stop(): void;
}

/** Node names are [A-Za-z0-9_-] (config): nothing else is put into a visibility query. */
const NODE_NAME = /^[A-Za-z0-9_-]+$/;

/** How often liveness is written and lost nodes looked for: a quarter of the grace period, at most 30 s. */
export function lostNodesPeriodMs(goneAfterMs: number): number {
  return Math.max(250, Math.min(30_000, Math.floor(goneAfterMs / 4) || 30_000));
}

export function startLostNodes(opts: LostNodesOptions): LostNodes {
  const { store, client, logger } = opts;
  const startedAt = Date.now();
  const periodMs = lostNodesPeriodMs(opts.goneAfterMs);
  const me = `${os.hostname()}:${process.pid}:${opts.node}:${crypto.randomBytes(3).toString('hex')}`;
  let stopped = false;
  let running: Promise<unknown> | undefined;

  const runningOf = async (type: string, node: string): Promise<string[]> => {
    const ids: string[] = [];
    const query = `WorkflowType = '${type}' AND HandoffNode = '${node}' AND ExecutionStatus = 'Running'`;
    for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
    return ids;
  };

  const endNode = async (node: string, connectedAt: number): Promise<LostNodeReport> => {
    const report: LostNodeReport = { node, connectedAt, calls: 0, transfers: 0, channels: 0, forgotten: false };
    const calls = await runningOf(CALL_WORKFLOW_TYPE, node);
    const now = Date.now();
    for (const workflowId of calls) {
      const callId = workflowId.slice(callWorkflowId('').length);
      try {
        await client.workflow.getHandle(workflowId).signal(channelEventsSignal, [goneEvent(callId, node, now)]);
        report.calls++;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err; // closed meanwhile: nothing to do
      }
    }
    const rows = await store.listNodeChannels(node);
    if (rows.length) {
      await store.writeChannels({ upserts: [], removals: rows.map((r) => r.callId) });
      report.channels = rows.length;
    }
    // The calls first: a call whose transfer is terminated under it would resume the transfer, on the same lost node.
    if (calls.length === 0) {
      for (const workflowId of await runningOf(TRANSFER_WORKFLOW_TYPE, node)) {
        try {
          await client.workflow
            .getHandle(workflowId)
            .terminate(`node ${node} lost: no ingest connected to it since ${new Date(connectedAt).toISOString()}`);
          report.transfers++;
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
      }
      if (report.transfers === 0) report.forgotten = await store.forgetNode(node, connectedAt);
    }
    return report;
  };

  const sweep = async (): Promise<LostNodeReport[]> => {
    const now = Date.now();
    if (opts.connected()) await store.nodeConnected(opts.node, now);
    if (opts.goneAfterMs <= 0 || now - startedAt < opts.goneAfterMs) return [];
    const lost = await store.claimLostNodes(now - opts.goneAfterMs, me, now + 4 * periodMs, now);
    const reports: LostNodeReport[] = [];
    for (const { node, connectedAt } of lost) {
      if (!NODE_NAME.test(node)) continue;
      const report = await endNode(node, connectedAt);
      reports.push(report);
      if (report.calls || report.transfers || report.channels || report.forgotten) {
        const { node: lostNode, ...did } = report;
        logger.warn('lost node: no ingest connected to it for NODE_GONE_AFTER_S; its calls are ended as GONE', {
          lostNode,
          ...did,
          connectedAt: new Date(connectedAt).toISOString(),
        });
      }
    }
    return reports;
  };

  const tick = () => {
    if (stopped || running) return;
    running = sweep()
      .catch((err: unknown) =>
        logger.warn('lost nodes: sweep failed; trying again next period', { error: String(err) }),
      )
      .finally(() => (running = undefined));
  };
  tick();
  const timer = setInterval(tick, periodMs);
  timer.unref();
  return {
    sweep,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
