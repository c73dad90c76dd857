// docs/operations.md's sizing: one table of inputs (the measured cost of a call, and the traffic assumed), from which
// every figure of the sizing tables below it is computed. `npm run docs:sizing` writes those tables; a test fails when
// they are not the ones the inputs give. New measurements (the load benchmark's) go into the inputs table only.

/** Every input the sizing reads, by its key in the inputs table. */
export const INPUT_KEYS = [
  'plain.signals',
  'plain.workflowTasks',
  'plain.historyEvents',
  'plain.searchAttributeUpserts',
  'plain.frontendRequests',
  'plain.persistenceWrites',
  'plain.workflows',
  'plain.ingestEvents',
  'transferred.signals',
  'transferred.workflowTasks',
  'transferred.historyEvents',
  'transferred.activities',
  'transferred.timers',
  'transferred.searchAttributeUpserts',
  'transferred.frontendRequests',
  'transferred.persistenceWrites',
  'transferred.workflows',
  'transferred.ingestEvents',
  'transferred.switchCommands',
  'onDemand.transferred.signals',
  'onDemand.transferred.workflowTasks',
  'onDemand.transferred.historyEvents',
  'onDemand.transferred.activities',
  'onDemand.transferred.timers',
  'onDemand.transferred.searchAttributeUpserts',
  'onDemand.transferred.frontendRequests',
  'onDemand.transferred.persistenceWrites',
  'onDemand.transferred.workflows',
  'cpu.msPerWorkflowTask',
  'projection.eventsPerSecond',
  'calls.meanDurationS',
  'calls.transferShare',
  'peak.factor',
  'switch.concurrentCalls',
  'worker.cpuTarget',
  'worker.mbPerCachedWorkflow',
  'shard.writesPerSecond',
  'shards.minimum',
  'visibility.sqlMaxWritesPerSecond',
] as const;
export type InputKey = (typeof INPUT_KEYS)[number];
export type Inputs = Record<InputKey, number>;

/** The two ways of running call workflows (CALL_WORKFLOWS): a plain call costs Temporal nothing on demand. */
export type Mode = 'per_call' | 'on_demand';

/** The concurrent-call counts, and ways, the tables are computed for. */
export const SIZES: readonly { calls: number; mode: Mode }[] = [
  { calls: 10_000, mode: 'per_call' },
  { calls: 100_000, mode: 'per_call' },
  { calls: 10_000, mode: 'on_demand' },
  { calls: 100_000, mode: 'on_demand' },
];

export const INPUTS_START = '<!-- sizing inputs: edit the values, then `npm run docs:sizing` -->';
export const INPUTS_END = '<!-- end of sizing inputs -->';
export const TABLES_START = '<!-- sizing tables: written by `npm run docs:sizing` from the inputs above -->';
export const TABLES_END = '<!-- end of sizing tables -->';

function between(doc: string, start: string, end: string): { from: number; to: number } {
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from < 0 || to < from) throw new Error(`docs/operations.md: the markers ${start} … ${end} are missing`);
  return { from: from + start.length, to };
}

/** Reads the inputs table: rows `| \`key\` | value | … |`; every key once, every value a number. */
export function parseInputs(doc: string): Inputs {
  const { from, to } = between(doc, INPUTS_START, INPUTS_END);
  const found = new Map<string, number>();
  for (const line of doc.slice(from, to).split('\n')) {
    const m = /^\|\s*`([a-zA-Z.]+)`\s*\|\s*([0-9][0-9,_.]*)\s*\|/.exec(line);
    if (!m) continue;
    const key = m[1]!;
    if (found.has(key)) throw new Error(`sizing input ${key} is given twice`);
    const value = Number(m[2]!.replace(/[,_]/g, ''));
    if (!Number.isFinite(value)) throw new Error(`sizing input ${key}: not a number (${m[2]})`);
    found.set(key, value);
  }
  const unknown = [...found.keys()].filter((k) => !(INPUT_KEYS as readonly string[]).includes(k));
  if (unknown.length) throw new Error(`unknown sizing inputs: ${unknown.join(', ')}`);
  const missing = INPUT_KEYS.filter((k) => !found.has(k));
  if (missing.length) throw new Error(`missing sizing inputs: ${missing.join(', ')}`);
  return Object.fromEntries(found) as Inputs;
}

const pow2AtLeast = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

export interface Sizing {
  concurrentCalls: number;
  mode: Mode;
  callsPerSecond: number;
  transfersPerSecond: number;
  openWorkflows: number;
  /** Per second, mean and at the peak factor. */
  signals: [number, number];
  workflowTasks: [number, number];
  activities: [number, number];
  timers: [number, number];
  historyEvents: [number, number];
  persistenceWrites: [number, number];
  visibilityWrites: [number, number];
  actions: [number, number];
  frontendRequests: [number, number];
  switchCommands: [number, number];
  historyShards: number;
  visibilityStore: 'SQL (PostgreSQL 12+ / MySQL 8)' | 'Elasticsearch';
  workflowWorkerCores: number;
  workflowWorkers: number;
  cacheGbPerWorkflowWorker: number;
  switches: number;
  nodeWorkers: number;
  projectionEvents: [number, number];
  projectionShare: number;
}

/**
 * The sizing for `concurrentCalls`. A call is a plain call, or (a share of them) a transferred one; its costs are the
 * measured ones, so a mean call costs plain + share × (transferred − plain). Rates are calls per second = concurrent
 * calls ÷ mean duration, and at the peak factor (a busy hour, a call storm). On demand a plain call costs Temporal
 * nothing (its events feed only the projection) and a transferred one its on-demand measurement.
 */
export function sizing(i: Inputs, concurrentCalls: number, mode: Mode = 'per_call'): Sizing {
  const callsPerSecond = concurrentCalls / i['calls.meanDurationS'];
  const transfersPerSecond = callsPerSecond * i['calls.transferShare'];
  const mean = (plain: number, transferred: number) => plain + i['calls.transferShare'] * (transferred - plain);
  const onDemand = mode === 'on_demand';
  /** A Temporal count of a plain call and of a transferred one, in this mode. */
  const temporal = (
    plain: number,
    key:
      | 'signals'
      | 'workflowTasks'
      | 'historyEvents'
      | 'activities'
      | 'timers'
      | 'searchAttributeUpserts'
      | 'frontendRequests'
      | 'persistenceWrites'
      | 'workflows',
  ) => (onDemand ? mean(0, i[`onDemand.transferred.${key}`]) : mean(plain, i[`transferred.${key}`]));
  const perCall = {
    signals: temporal(i['plain.signals'], 'signals'),
    workflowTasks: temporal(i['plain.workflowTasks'], 'workflowTasks'),
    activities: temporal(0, 'activities'),
    timers: temporal(0, 'timers'),
    historyEvents: temporal(i['plain.historyEvents'], 'historyEvents'),
    upserts: temporal(i['plain.searchAttributeUpserts'], 'searchAttributeUpserts'),
    frontendRequests: temporal(i['plain.frontendRequests'], 'frontendRequests'),
    persistenceWrites: temporal(i['plain.persistenceWrites'], 'persistenceWrites'),
    workflows: temporal(i['plain.workflows'], 'workflows'),
    ingestEvents: mean(i['plain.ingestEvents'], i['transferred.ingestEvents']),
    switchCommands: mean(0, i['transferred.switchCommands']),
  };
  const rate = (perCallCount: number): [number, number] => [
    perCallCount * callsPerSecond,
    perCallCount * callsPerSecond * i['peak.factor'],
  ];
  // Visibility: every search-attribute upsert, and each workflow's start and close.
  const visibility = perCall.upserts + 2 * perCall.workflows;
  // Temporal Cloud's billable actions, roughly: signals, workflow starts, activities, timers, search-attribute upserts.
  const actions = perCall.signals + perCall.workflows + perCall.activities + perCall.timers + perCall.upserts;
  // Measured on the server (bench/ingest-pair.ts): the frontend's requests are the signals and starts, each task's
  // poll and completion; the writes, each update of a workflow's mutable state (a signal, a task scheduled or
  // completed, an activity, a timer, a start) and the task queues' task writes.
  const frontendRequests = rate(perCall.frontendRequests);
  const persistenceWrites = rate(perCall.persistenceWrites);
  const visibilityWrites = rate(visibility);
  const workflowTasks = rate(perCall.workflowTasks);
  const workflowWorkerCores = (workflowTasks[1] * i['cpu.msPerWorkflowTask']) / 1000 / i['worker.cpuTarget'];
  // One core per workflow-worker process (a worker runs workflow code on one thread), and one more to lose one.
  const workflowWorkers = Math.ceil(workflowWorkerCores) + 1;
  // Per call: two call workflows per call, plus the transfers and their targets' calls while a transfer runs (small:
  // left out). On demand: only calls with a transfer have any, from the code to the call's end (at most all of them).
  const openWorkflows = Math.round(
    onDemand
      ? concurrentCalls * i['calls.transferShare'] * i['onDemand.transferred.workflows']
      : concurrentCalls * i['plain.workflows'],
  );
  const switches = Math.ceil(concurrentCalls / i['switch.concurrentCalls']);
  // Both ingests of a pair write the projection.
  const projectionEvents = rate(perCall.ingestEvents * 2);
  return {
    concurrentCalls,
    mode,
    callsPerSecond,
    transfersPerSecond,
    openWorkflows,
    signals: rate(perCall.signals),
    workflowTasks,
    activities: rate(perCall.activities),
    timers: rate(perCall.timers),
    historyEvents: rate(perCall.historyEvents),
    persistenceWrites,
    visibilityWrites,
    actions: rate(actions),
    frontendRequests,
    switchCommands: rate(perCall.switchCommands),
    historyShards: Math.max(i['shards.minimum'], pow2AtLeast(persistenceWrites[1] / i['shard.writesPerSecond'])),
    visibilityStore:
      visibilityWrites[1] <= i['visibility.sqlMaxWritesPerSecond'] ? 'SQL (PostgreSQL 12+ / MySQL 8)' : 'Elasticsearch',
    workflowWorkerCores,
    workflowWorkers,
    cacheGbPerWorkflowWorker: (openWorkflows * i['worker.mbPerCachedWorkflow']) / 1024 / (workflowWorkers - 1),
    switches,
    nodeWorkers: switches * 2,
    projectionEvents,
    projectionShare: projectionEvents[1] / i['projection.eventsPerSecond'],
  };
}

/** 1234.5 → "1,235"; small numbers keep one decimal. */
function n(x: number): string {
  if (x < 10 && !Number.isInteger(x)) return x.toFixed(1);
  return Math.round(x).toLocaleString('en-US');
}
const pair = ([mean, peak]: [number, number]) => `${n(mean)} / ${n(peak)}`;

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The sizing tables, as markdown, for SIZES. */
export function renderSizing(i: Inputs): string {
  const all = SIZES.map((c) => sizing(i, c.calls, c.mode));
  const head = ['', ...all.map((s) => `${n(s.concurrentCalls)} concurrent calls, ${s.mode.replace('_', ' ')}`)];
  const row = (label: string, f: (s: Sizing) => string) => [label, ...all.map(f)];
  const peak = `×${i['peak.factor']}`;
  const temporal = table(head, [
    row('calls started per second (transfers)', (s) => `${n(s.callsPerSecond)} (${n(s.transfersPerSecond)})`),
    row('open workflows', (s) => n(s.openWorkflows)),
    row(`signals/s, mean / peak (${peak})`, (s) => pair(s.signals)),
    row('workflow tasks/s, mean / peak', (s) => pair(s.workflowTasks)),
    row('activities/s, mean / peak', (s) => pair(s.activities)),
    row('timers/s, mean / peak', (s) => pair(s.timers)),
    row('history events/s, mean / peak', (s) => pair(s.historyEvents)),
    row(
      '**frontend requests/s** (signals, starts, task polls and completions), mean / peak',
      (s) => `**${pair(s.frontendRequests)}**`,
    ),
    row('persistence writes/s, mean / peak', (s) => pair(s.persistenceWrites)),
    row('**history shards**', (s) => `**${n(s.historyShards)}**`),
    row('visibility writes/s, mean / peak', (s) => pair(s.visibilityWrites)),
    row('**visibility store**', (s) => `**${s.visibilityStore}**`),
    row('Temporal Cloud actions/s (estimate), mean / peak', (s) => pair(s.actions)),
  ]);
  const processes = table(head, [
    row(`workflow-worker cores at the peak (${i['worker.cpuTarget'] * 100} % busy)`, (s) => n(s.workflowWorkerCores)),
    row('**workflow workers** (one core each, one spare)', (s) => `**${n(s.workflowWorkers)}**`),
    row('sticky cache per workflow worker, GB (all open workflows cached)', (s) => n(s.cacheGbPerWorkflowWorker)),
    row(`FreeSWITCH nodes (${n(i['switch.concurrentCalls'])} calls each)`, (s) => n(s.switches)),
    row('**node workers** (a pair per node)', (s) => `**${n(s.nodeWorkers)}**`),
    row('switch commands/s, all nodes, mean / peak', (s) => pair(s.switchCommands)),
    row('projection writes, events/s (both ingests of each pair), mean / peak', (s) => pair(s.projectionEvents)),
    row(
      '…share of one PostgreSQL at the peak (measured batched rate)',
      (s) => `${Math.round(s.projectionShare * 100)} %`,
    ),
    row('**API processes**', () => '**2** (more by REST request rate)'),
  ]);
  return `${temporal}\n\n${processes}`;
}

/** `doc` with its sizing tables rewritten from its inputs. */
export function withSizingTables(doc: string): string {
  const inputs = parseInputs(doc);
  const { from, to } = between(doc, TABLES_START, TABLES_END);
  return `${doc.slice(0, from)}\n${renderSizing(inputs)}\n${doc.slice(to)}`;
}
