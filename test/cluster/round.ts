// One round of the chaos tool (and the cluster test's run): a cluster of processes, scenarios 2–4 at a time on its
// switches, kills (random, aimed at a scenario's step, or one of each role on a schedule), then the settling: every
// process up again, and Temporal's visibility asked which workflows are still running (the only thing not read from
// the switch: "no workflow left running").
import path from 'node:path';
import { loadConfig } from '../../config/index.ts';
import { playableStream } from '../../contracts/grammar.ts';
import { Rng } from '../../simulator/random.ts';
import { startCluster, type Cluster, type ClusterSpec } from './cluster.ts';
import { Killer, type Kill, type KillOptions } from './kills.ts';
import type { ProcessEvent, Role } from './processes.ts';
import { RestClient } from './rest.ts';
import { KINDS, runScenario, type ScenarioKind, type ScenarioPlan, type ScenarioResult } from './scenarios.ts';
import { SwitchWatcher } from './switch-watch.ts';

export interface RoundSpec {
  name: string;
  /** The round's directory (logs, databases, scenarios.jsonl). */
  dir: string;
  cluster: Omit<ClusterSpec, 'dir' | 'onProcessEvent' | 'seed'>;
  seed: number;
  scenarios: number;
  /** Run only these scenarios of the seeded plan (by number): a finding's reproduction. */
  only?: ReadonlySet<number>;
  /** No scenario starts after this (ms from the first one). */
  durationMs: number;
  /** Scenarios in flight at once: drawn in this range, again every 20 s. */
  concurrency: [number, number];
  kinds: readonly ScenarioKind[];
  /** Take the kinds in turn (scenario n: kinds[n mod k]) instead of drawing them: every kind on every node. */
  kindsInTurn?: boolean;
  /** Share of scenarios with a kill aimed at one of their steps. */
  aimRatio: number;
  /** 'random': every killOptions.everyMs; 'scheduled': one kill of each role, `scheduledGapMs` apart. */
  kills: 'random' | 'scheduled' | 'none';
  scheduledGapMs?: number;
  killOptions: KillOptions;
  /** How long workflows may take to close once the last scenario has ended and every process is up. */
  settleMs: number;
  effectTimeoutMs: number;
  outcomeTimeoutMs: number;
  log: (line: string) => void;
  onResult?: (r: ScenarioResult) => void;
  /**
   * Runs after the settling, every process up and the switches still watched, before the cluster stops: checks of
   * the whole cluster (the cluster test's shared store and channel lists). Its failures are its own to record.
   */
  afterSettle?: (round: RoundContext) => Promise<void>;
}

/** What a round's own checks may use. */
export interface RoundContext {
  cluster: Cluster;
  watchers: ReadonlyMap<string, SwitchWatcher>;
  rest: RestClient;
}

export interface StuckWorkflow {
  workflowId: string;
  type: string;
  scenario?: number;
}

export interface RoundResult {
  spec: RoundSpec;
  startedAt: number;
  endedAt: number;
  /** Milliseconds the cluster took to start. */
  startupMs: number;
  results: ScenarioResult[];
  kills: Kill[];
  missedAims: Killer['missedAims'];
  journal: ProcessEvent[];
  processes: { name: string; role: Role; kills: number; crashes: number; readyMs: number[] }[];
  stuck: StuckWorkflow[];
  /** Visibility could not be read (Temporal away): stuck is then unknown. */
  stuckUnknown?: string;
  /** Channels still on a switch at the very end, by node. */
  leftOnSwitch: Record<string, string[]>;
}

/** The scenarios of a round, all drawn from its seed: kind, node, aimed kill, a person's pauses. */
export function planScenarios(spec: RoundSpec, nodes: readonly string[], count = spec.scenarios): ScenarioPlan[] {
  const rng = new Rng(spec.seed);
  let roleTurn = 0;
  return Array.from({ length: count }, (_, id) => {
    const kind = spec.kindsInTurn
      ? spec.kinds[id % spec.kinds.length]!
      : spec.kinds[rng.int(0, spec.kinds.length - 1)]!;
    const plan: ScenarioPlan = {
      id: id + 1,
      kind,
      node: nodes[id % nodes.length]!,
      thinkMs: Array.from({ length: 4 }, () => rng.int(300, 1500)),
    };
    if (rng.next() < spec.aimRatio) {
      const steps = KINDS[kind].steps;
      const step = steps[rng.int(0, steps.length - 1)]!;
      // The API matters only to the REST scenarios; every other role to every scenario.
      const roles = spec.killOptions.roles.filter((r) => r !== 'api' || KINDS[kind].rest);
      plan.aim = { step, role: roles[roleTurn++ % roles.length]! };
    }
    return plan;
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runRound(spec: RoundSpec): Promise<RoundResult> {
  const startedAt = Date.now();
  const journal: ProcessEvent[] = [];
  spec.log(`${spec.name}: starting the cluster`);
  const cluster = await startCluster({
    ...spec.cluster,
    dir: spec.dir,
    seed: spec.seed,
    onProcessEvent: (e) => {
      journal.push(e);
      if (e.kind !== 'start') spec.log(`${spec.name}: ${e.name} ${e.kind}${e.detail ? ` (${e.detail})` : ''}`);
    },
  });
  const startupMs = Date.now() - startedAt;
  const config = loadConfig(cluster.env);
  const watchers = new Map<string, SwitchWatcher>();
  const rng = new Rng(spec.seed ^ 0x5bd1e995);
  const killer = new Killer(cluster, rng, spec.killOptions);
  const results: ScenarioResult[] = [];
  try {
    for (const n of cluster.nodes) {
      watchers.set(
        n.name,
        await SwitchWatcher.connect({
          node: n.name,
          esl: n.esl,
          accountId: cluster.demo.accountId,
          accountVariable: config.ACCOUNT_ID_VARIABLE,
        }),
      );
    }
    const rest = new RestClient(
      cluster.apis.map((a) => a.url),
      cluster.demo.accountId,
      cluster.demo.apiKey,
    );
    // With scheduled kills the scenarios go on (beyond the count) until every role has been killed and is back.
    const scheduled = spec.kills === 'scheduled' && !spec.only;
    const plans = planScenarios(
      spec,
      cluster.nodes.map((n) => n.name),
      scheduled ? spec.scenarios + 100 : spec.scenarios,
    ).filter((p) => !spec.only || spec.only.has(p.id));
    const aimed = new Set<number>();
    const envFor = (node: string) => ({
      watcher: watchers.get(node)!,
      rest,
      moh: config.DEFAULT_MOH,
      ringback: playableStream(config.DEFAULT_RINGBACK) ?? config.DEFAULT_RINGBACK,
      ringTimeoutS: config.TARGET_RING_TIMEOUT_S,
      effectTimeoutMs: spec.effectTimeoutMs,
      outcomeTimeoutMs: spec.outcomeTimeoutMs,
      onStep: (plan: ScenarioPlan, step: string) => {
        if (plan.aim?.step !== step || aimed.has(plan.id)) return;
        aimed.add(plan.id);
        spec.log(`${spec.name}: #${plan.id} ${plan.kind} at ${step}: kill ${plan.aim.role}`);
        killer.aim(plan.aim.role as Role, plan.id, step);
      },
    });

    spec.log(
      `${spec.name}: cluster up in ${startupMs} ms; ${scheduled ? `${spec.scenarios}+` : plans.length} scenarios`,
    );
    if (spec.kills === 'random') killer.startRandom();
    if (spec.kills === 'scheduled') killer.startScheduled(spec.killOptions.roles, spec.scheduledGapMs ?? 8000);

    const firstAt = Date.now();
    const inFlight = new Set<Promise<void>>();
    let target = rng.int(...spec.concurrency);
    let retargetAt = Date.now() + 20_000;
    let next = 0;
    const more = () => next < spec.scenarios || (scheduled && killer.pending > 0);
    while (next < plans.length && more() && Date.now() - firstAt < spec.durationMs) {
      if (Date.now() > retargetAt) {
        target = rng.int(...spec.concurrency);
        retargetAt = Date.now() + 20_000;
      }
      if (inFlight.size >= target) {
        await Promise.race([...inFlight, sleep(1000)]);
        continue;
      }
      const plan = plans[next++]!;
      const run = runScenario(envFor(plan.node), plan)
        .then((r) => {
          results.push(r);
          // A long run keeps the watchers' memory flat: legs that ended minutes ago are judged and done.
          for (const w of watchers.values()) w.forgetEnded(Date.now() - 300_000);
          spec.onResult?.(r);
          const lost = r.presses.filter((p) => p.lost).length;
          spec.log(
            `${spec.name}: #${plan.id} ${plan.kind}${plan.aim ? ` (kill ${plan.aim.role} at ${plan.aim.step})` : ''}: ` +
              `${r.verdict}${r.verdict === 'ok' ? '' : ` — ${r.detail}`}${lost ? ` [${lost} lost]` : ''}` +
              `${r.duplicates ? ` [${r.duplicates} duplicate target legs]` : ''}`,
          );
        })
        .finally(() => inFlight.delete(run));
      inFlight.add(run);
      // People do not all press at the same instant.
      await sleep(rng.int(200, 1200));
    }
    await Promise.all([...inFlight]);
    spec.log(`${spec.name}: ${results.length} scenarios done; settling`);
    await killer.stop();
    await cluster.supervisor.allUp();
    const { stuck, unknown } = await settle(cluster, results, spec.settleMs);
    await spec.afterSettle?.({ cluster, watchers, rest });
    const leftOnSwitch: Record<string, string[]> = {};
    for (const [node, w] of watchers) {
      const live = [...(await w.liveChannels())];
      if (live.length) leftOnSwitch[node] = live;
    }
    results.sort((a, b) => a.plan.id - b.plan.id);
    return {
      spec,
      startedAt,
      endedAt: Date.now(),
      startupMs,
      results,
      kills: killer.kills,
      missedAims: killer.missedAims,
      journal,
      processes: cluster.supervisor.processes.map((p) => ({
        name: p.name,
        role: p.role,
        kills: p.kills,
        crashes: p.crashes,
        readyMs: p.readyMs,
      })),
      stuck,
      stuckUnknown: unknown,
      leftOnSwitch,
    };
  } finally {
    await killer.stop();
    for (const w of watchers.values()) await w.close().catch(() => undefined);
    await cluster.stop();
  }
}

/**
 * Waits until visibility lists no running workflow on the round's task queue, at most `settleMs`; what is still
 * running then is stuck (named after its scenario when one of its legs was the scenario's).
 */
async function settle(
  cluster: Cluster,
  results: readonly ScenarioResult[],
  settleMs: number,
): Promise<{ stuck: StuckWorkflow[]; unknown?: string }> {
  const until = Date.now() + settleMs;
  const query = `TaskQueue = '${cluster.taskQueue}' AND ExecutionStatus = 'Running'`;
  let running: { workflowId: string; type: string }[] = [];
  let lastError: string | undefined;
  for (;;) {
    try {
      const client = await cluster.client();
      running = [];
      for await (const wf of client.workflow.list({ query }))
        running.push({ workflowId: wf.workflowId, type: wf.type });
      lastError = undefined;
      if (!running.length) break;
    } catch (err) {
      lastError = String(err);
    }
    if (Date.now() > until) break;
    await sleep(2000);
  }
  if (lastError !== undefined) return { stuck: [], unknown: lastError };
  const owner = (id: string) =>
    results.find((r) => [r.alice, r.bob, ...r.targets].some((leg) => leg && id.includes(leg)))?.plan.id;
  return { stuck: running.map((w) => ({ ...w, scenario: owner(w.workflowId) })) };
}

export const roundDir = (runDir: string, name: string): string => path.join(runDir, name);
