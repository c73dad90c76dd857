// Handoff's own Prometheus metrics (prom-client), one registry per process; /metrics serves them beside the Temporal
// SDK's (observability/server.ts). Each is counted once, where its fact happens: a switch command in the activity that
// sends it, an event in the ingest that receives it, a transfer's start where the switch first holds its legs, never
// in workflow code (which replays). Labels stay low-cardinality: no call, transfer or account IDs.
import client from 'prom-client';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });

/** Seconds: from a few ms (one switch command) to the tens of seconds a retried command may take. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30];

export const transfersStarted = new client.Counter({
  name: 'handoff_transfers_started_total',
  help: 'Transfers started (counted when the switch first holds their parties), by type (attended, blind) and trigger (dtmf, api)',
  labelNames: ['type', 'trigger'] as const,
  registers: [registry],
});

export const transfersEnded = new client.Counter({
  name: 'handoff_transfers_ended_total',
  help: 'Transfers ended, by outcome (completed, taken_back, target_failed ...)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const transferFeatures = new client.Counter({
  name: 'handoff_transfer_features_total',
  help: "What transferors did during their consultations: three_way (everyone joined one conference, counted when the conference's member list shows all three) and swap (the transferor turned to the other party, counted when the one left aside is given music)",
  labelNames: ['feature'] as const,
  registers: [registry],
});

export const privateDigits = new client.Counter({
  name: 'handoff_private_digits_total',
  help: "Feature codes kept from the other party (a metaflow's private_codes): masked (the peer's ear masked as a private code began), resent (digits the mask dropped that were no code, sent on to the peer; one per digit)",
  labelNames: ['outcome'] as const,
  registers: [registry],
});

/** The benchmark's steps, each from the switch event that starts it to the reply of the command that completes it. */
export type TransferStep = 'hold' | 'consult' | 'complete' | 'takeback';

export const transferStepSeconds = new client.Histogram({
  name: 'handoff_transfer_step_seconds',
  help: "A transfer's steps: hold (feature code complete or REST request → the transferee's music started), consult (target's answer → transferor bridged to it), complete (transferor's hangup → transferee bridged to the target), takeback (takeback digit → transferor bridged back to the transferee)",
  labelNames: ['step'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

/** What a node worker's ESL connections to one node are doing, read at every scrape. */
export interface EslFigures {
  /** The event connection and at least one command connection are up: the node is usable. */
  connected: boolean;
  /** Command connections up, of those configured (ESL_COMMAND_CONNECTIONS). */
  commandConnectionsUp: number;
  commandConnections: number;
}

/**
 * Per node, the function a scrape reads its figures from, and how a node worker registers its own: until the returned
 * function is called, and only its own (a restarted node worker's registration is not removed by the old one's).
 */
function perNodeSources<T>(): {
  sources: ReadonlyMap<string, () => T>;
  track: (node: string, figures: () => T) => () => void;
} {
  const sources = new Map<string, () => T>();
  return {
    sources,
    track(node, figures) {
      sources.set(node, figures);
      return () => void (sources.get(node) === figures && sources.delete(node));
    },
  };
}

const esl = perNodeSources<EslFigures>();
const eslSources = esl.sources;

/** Reports the node's ESL state on every scrape until the returned function is called. */
export const trackEsl = esl.track;

export const eslConnected = new client.Gauge({
  name: 'handoff_esl_connected',
  help: "1 when this process's ESL event connection and at least one command connection to the node are up, else 0",
  labelNames: ['node'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const [node, figures] of eslSources) this.set({ node }, figures().connected ? 1 : 0);
  },
});

// A node with some of its command connections down is still ready (one is enough), but its commands share fewer
// connections, each running one command at a time: the degraded state is worth an alert of its own.
export const eslCommandConnections = new client.Gauge({
  name: 'handoff_esl_command_connections',
  help: "This process's ESL command connections to the node, by state (up, down)",
  labelNames: ['node', 'state'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const [node, figures] of eslSources) {
      const { commandConnectionsUp: up, commandConnections: all } = figures();
      this.set({ node, state: 'up' }, up);
      this.set({ node, state: 'down' }, all - up);
    }
  },
});

/** What an ingest counts (workers/ingest/stats.ts), read at every scrape: the ingest keeps one set of counters. */
export interface IngestFigures {
  received: number;
  deduplicated: number;
  lateDropped: number;
  signalsFailed?: number;
  queueDepth: number;
}

const ingest = perNodeSources<IngestFigures>();
const ingestSources = ingest.sources;

/** Reports the node's ingest counters on every scrape until the returned function is called. */
export const trackIngest = ingest.track;

export const ingestEvents = new client.Counter({
  name: 'handoff_ingest_events_total',
  help: 'ESL events received by the ingest',
  labelNames: ['node'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const [node, figures] of ingestSources) this.inc({ node }, figures().received);
  },
});

/** Why the ingest did not deliver an event: the label values of handoff_ingest_events_dropped_total. */
const DROPS: Record<string, (f: IngestFigures) => number> = {
  // Seen already: the same Core-UUID and an Event-Sequence not above the channel's last (an HA pair's copy).
  duplicate: (f) => f.deduplicated,
  // For a call whose workflow had closed.
  late: (f) => f.lateDropped,
  // Refused by Temporal for good.
  refused: (f) => f.signalsFailed ?? 0,
};

export const ingestDropped = new client.Counter({
  name: 'handoff_ingest_events_dropped_total',
  help: 'Channel events the ingest did not deliver, by reason: duplicate (an HA pair already sent it), late (their call workflow had closed), refused (Temporal refused the signal for good)',
  labelNames: ['node', 'reason'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const [node, figures] of ingestSources) {
      const f = figures();
      for (const [reason, count] of Object.entries(DROPS)) this.inc({ node, reason }, count(f));
    }
  },
});

export const ingestDeliverySeconds = new client.Histogram({
  name: 'handoff_ingest_delivery_seconds',
  help: 'From an ESL event received to its signal accepted by Temporal',
  labelNames: ['node'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const ingestQueueDepth = new client.Gauge({
  name: 'handoff_ingest_queue_depth',
  help: 'Events received by the ingest and not yet delivered',
  labelNames: ['node'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const [node, figures] of ingestSources) this.set({ node }, figures().queueDepth);
  },
});

export const switchCommands = new client.Counter({
  name: 'handoff_switch_commands_total',
  help: 'Switch commands sent, by command (uuid_bridge, originate ...) and result (ok; no_channel: the leg was gone; error: another -ERR; timeout, disconnected: no reply)',
  labelNames: ['command', 'result'] as const,
  registers: [registry],
});

export const switchCommandSeconds = new client.Histogram({
  name: 'handoff_switch_command_seconds',
  help: 'From a switch command sent to its reply',
  labelNames: ['command'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const apiRequests = new client.Counter({
  name: 'handoff_api_requests_total',
  help: 'REST requests answered, by method, route pattern and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

export const apiRequestSeconds = new client.Histogram({
  name: 'handoff_api_request_seconds',
  help: 'REST request durations, by method and route pattern',
  labelNames: ['method', 'route'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

/** The first word of a switch command: `uuid_bridge a b` → uuid_bridge. Anything odd is `other` (labels stay few). */
export function commandName(command: string): string {
  const word = /^[a-z_]{1,32}/.exec(command.trimStart())?.[0];
  return word ?? 'other';
}

/** Why a command failed, as a label: the ESL layer's errors say it in their names. */
function failureKind(err: unknown): 'timeout' | 'disconnected' | 'error' {
  const name = err instanceof Error ? err.name : '';
  return name === 'EslTimeoutError' ? 'timeout' : name === 'EslDisconnectedError' ? 'disconnected' : 'error';
}

const NO_CHANNEL = /^-ERR (No such channel|Invalid uuid|Cannot locate session)/i;

/** Runs one switch command, counting it and timing it: a `-ERR` reply counts as `error`, a thrown one by its kind. */
export async function timedCommand<T>(command: string, send: () => Promise<T>): Promise<T> {
  const labels = { command: commandName(command) };
  const end = switchCommandSeconds.startTimer(labels);
  try {
    const reply = await send();
    end();
    const text = typeof reply === 'string' ? reply : '';
    // A leg that is gone is an answer, not a failure: the engine asks about legs that may have hung up.
    const result = !text.startsWith('-ERR') ? 'ok' : NO_CHANNEL.test(text) ? 'no_channel' : 'error';
    switchCommands.inc({ ...labels, result });
    return reply;
  } catch (err) {
    switchCommands.inc({ ...labels, result: failureKind(err) });
    throw err;
  }
}
