// Property-style test of the transfer state machine: random input sequences (seeded, reproducible) against invariants
// that follow from the machine's promise — no live leg is ever left unbridged without a stream or a deadline.
import test from 'ava';
import {
  MAX_BRIDGE_ATTEMPTS,
  initialState,
  step,
  type Action,
  type Input,
  type MachineState,
  type Party,
} from '../../workflows/transfer-machine.ts';
import { TRANSFER_OUTCOMES, type TransferOutcome } from '../../contracts/messages.ts';

const PARTIES: readonly Party[] = ['transferor', 'transferee', 'target', 'recall'];
const CAUSES = ['NORMAL_CLEARING', 'USER_BUSY', 'NO_ROUTE_DESTINATION', 'ORIGINATOR_CANCEL', 'NO_ANSWER'];

/** mulberry32: small, fast, good enough for test sequences. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)]!;
}

/** Any input kind, any party; `bridged` names the pair being connected half the time, so that bridges complete. */
function randomInput(rnd: () => number, s: MachineState): Input {
  // A conference join is answered soon after it is sent: mostly the answer comes next.
  if (s.phase === 'joining' && rnd() < 0.5) return { type: rnd() < 0.8 ? 'conferenced' : 'conference_not_confirmed' };
  // and so is a bridge, now and then, so that sequences get past two of them (a swap after the consultation).
  if (s.connecting && rnd() < 0.15) return { type: 'bridged', a: s.connecting.a, b: s.connecting.b };
  const kind = pick(rnd, [
    'target_answered',
    'target_failed',
    'no_answer_timeout',
    'no_answer_deadline',
    'hangup',
    'hangup',
    'bridged',
    'bridged',
    'bridge_deadline',
    'bridge_not_confirmed',
    'bridge_refused',
    'legs_audited',
    'takeback',
    'recall_answered',
    'recall_failed',
    'recall_due',
    'consultation_lost',
    'restored',
    'three_way',
    'swap',
    'swap',
    'conferenced',
    'conference_not_confirmed',
  ] as const);
  switch (kind) {
    case 'three_way':
    case 'swap':
      return { type: kind, by: pick(rnd, ['code', 'api']) };
    case 'conferenced':
    case 'conference_not_confirmed':
    case 'consultation_lost':
    case 'restored':
    case 'target_answered':
    case 'recall_answered':
    case 'recall_due':
    case 'no_answer_timeout':
    case 'no_answer_deadline':
    case 'bridge_deadline':
    case 'bridge_not_confirmed':
    case 'bridge_refused':
    case 'legs_audited':
      return { type: kind };
    case 'target_failed':
    case 'recall_failed':
      return { type: kind, cause: pick(rnd, CAUSES) };
    case 'hangup':
      return { type: kind, party: pick(rnd, PARTIES), cause: pick(rnd, CAUSES) };
    case 'takeback':
      return { type: kind, by: pick(rnd, ['takeback', 'resume', 'api']) };
    case 'bridged': {
      if (s.connecting && rnd() < 0.5) {
        return rnd() < 0.5
          ? { type: kind, a: s.connecting.a, b: s.connecting.b }
          : { type: kind, a: s.connecting.b, b: s.connecting.a };
      }
      const a = pick(rnd, PARTIES);
      const b = pick(
        rnd,
        PARTIES.filter((p) => p !== a),
      );
      return { type: kind, a, b };
    }
  }
}

/** What the test knows independently of the machine's bookkeeping: who is really alive, is the no-answer timer on. */
interface World {
  alive: Record<Party, boolean>;
  noAnswerTimer: boolean;
  /** The pause before the next recall attempt is running. */
  recallPause: boolean;
  /** Who was last given the music (the transferee when the transfer put it on hold). */
  onMusic?: Party;
  /** A conference join was sent and has not answered yet. */
  joinPending: boolean;
}

const samePair = (x: { a: Party; b: Party }, a: Party, b: Party) =>
  (x.a === a && x.b === b) || (x.a === b && x.b === a);
const fmt = (v: unknown) => JSON.stringify(v);

/**
 * Checks one step; returns a description of the first broken invariant, or undefined.
 *
 * The central invariant, when a step decides the outcome: every leg that is still up (alive before the step and not the
 * one this input reports gone) is either in the restore action — which is only allowed when this very input confirms
 * the bridge the machine was waiting for, and names exactly that pair — or gets a kill action. While that pair's
 * settings are restored, the outcome stands, and if one of the pair leaves, the other is killed. While not decided:
 * in 'ringing' and 'partial' the legs hear streams under the running no-answer timer; in 'connecting' both legs of the
 * pair are up and a bridge for that pair was sent (by this step, or by an earlier one for the same pair);
 * in 'consulting' all three are up (transferor ↔ target bridged, the transferee on music).
 */
function checkStep(world: World, prev: MachineState, input: Input, next: MachineState, actions: Action[]) {
  // Facts from the input.
  const reportedGone: Party | undefined =
    input.type === 'hangup'
      ? input.party
      : input.type === 'target_failed'
        ? 'target'
        : input.type === 'recall_failed'
          ? 'recall'
          : undefined;
  const upBefore = { ...world.alive };
  // A look at the ringing leg changes nothing on the switch; it comes only when the no-answer deadline passes.
  const looks = actions.filter((a) => a.do === 'check_answered');
  if (looks.length && (input.type !== 'no_answer_deadline' || actions.length !== 1)) {
    return `a look at the ringing leg for ${input.type}: ${fmt(actions)}`;
  }
  const changes = actions.filter((a) => a.do !== 'check_answered');
  if (reportedGone) world.alive[reportedGone] = false;
  const up = (Object.keys(world.alive) as Party[]).filter((p) => world.alive[p]);

  const kills = actions.filter((a): a is Extract<Action, { do: 'kill' }> => a.do === 'kill');
  const restores = actions.filter((a): a is Extract<Action, { do: 'restore' }> => a.do === 'restore');
  const bridges = actions.filter((a): a is Extract<Action, { do: 'bridge' }> => a.do === 'bridge');
  const checks = actions.filter((a): a is Extract<Action, { do: 'check_bridge' }> => a.do === 'check_bridge');

  // Kills: only of legs that are up, each at most once.
  const killed = new Set<Party>();
  for (const k of kills) {
    if (!world.alive[k.party]) return `kill of a leg already gone: ${k.party}`;
    if (killed.has(k.party)) return `two kills of ${k.party}`;
    killed.add(k.party);
  }
  for (const p of killed) world.alive[p] = false;
  if (actions.some((a) => a.do === 'cancel_no_answer_timer')) world.noAnswerTimer = false;
  if (input.type === 'no_answer_timeout') world.noAnswerTimer = false;
  if (input.type === 'recall_due') world.recallPause = false;
  const recalls = actions.filter((a) => a.do === 'recall');
  if (recalls.length > 1) return `two recalls in one step: ${fmt(actions)}`;
  if (recalls.length) {
    if (world.alive.recall) return 'a recall while the previous recall leg is still up';
    if (next.policy.partialFailure !== 'recall') return 'a recall under the hangup policy';
    world.alive.recall = true;
    world.noAnswerTimer = true;
  }
  const joins = actions.filter((a) => a.do === 'conference');
  if (joins.length > 1) return `two conference joins in one step: ${fmt(actions)}`;
  if (input.type === 'conferenced' || input.type === 'conference_not_confirmed') world.joinPending = false;
  if (joins.length) {
    if (!['consulting', 'swapped', 'joining'].includes(prev.phase)) return `a conference join from ${prev.phase}`;
    world.joinPending = true;
  }
  for (const m of actions.filter((a): a is Extract<Action, { do: 'music' }> => a.do === 'music')) {
    if (!world.alive[m.party]) return `music for a leg that is gone: ${m.party}`;
    world.onMusic = m.party;
  }
  if (actions.some((a) => a.do === 'wait_before_recall')) {
    if (world.alive.recall) return 'a pause before the next recall with the recall leg still up';
    world.recallPause = true;
  }

  // The machine's own record of who is alive must agree with the world.
  for (const p of PARTIES) {
    if (next.alive[p] !== world.alive[p]) return `state.alive.${p}=${next.alive[p]} but the leg is ${world.alive[p]}`;
  }
  if (prev.targetAnswered && !next.targetAnswered) return 'targetAnswered went back to false';

  if (prev.phase === 'ended') {
    if (actions.length) return `actions after ended: ${fmt(actions)}`;
    if (next.phase !== 'ended' || next.outcome !== prev.outcome || next.reason !== prev.reason) {
      return 'ended state changed its phase, outcome or reason';
    }
    return undefined;
  }

  if (prev.phase === 'restoring') {
    const pair = prev.restoring!;
    if (next.outcome !== prev.outcome || next.reason !== prev.reason) return 'restoring changed the outcome';
    if (restores.length || bridges.length || checks.length) return `restoring sent ${fmt(actions)}`;
    const left = reportedGone === pair.a ? pair.b : reportedGone === pair.b ? pair.a : undefined;
    if (left) {
      if (next.phase !== 'ended') return `one of the pair left (${reportedGone}), still ${next.phase}`;
      if (upBefore[left] && !killed.has(left)) return `${left} left alone without a kill: ${fmt(actions)}`;
      return undefined;
    }
    if (kills.length) return `restoring killed ${fmt(kills)}`;
    if (input.type === 'restored') return next.phase === 'ended' ? undefined : 'restored but not ended';
    return next.phase === 'restoring' ? undefined : `restoring left for ${next.phase} on ${fmt(input)}`;
  }

  if (next.phase === 'ended' || next.phase === 'restoring') {
    if (!next.outcome) return 'ended without an outcome';
    if (next.phase === 'restoring' && restores.length !== 1) return 'restoring without a restore action';
    if (next.phase === 'ended' && restores.length) return 'ended with a restore: nobody listens to the pair';
    if (next.connecting) return 'ended with a connecting plan';
    if (bridges.length || checks.length) return `ended while sending bridge/check: ${fmt(actions)}`;
    if (restores.length > 1) return 'two restore actions';
    const restored = restores[0]?.parties ?? [];
    if (restores.length) {
      const c = prev.connecting;
      if (prev.phase === 'connecting' && input.type === 'bridged' && c && samePair(c, input.a, input.b)) {
        if (restored.length !== 2 || !samePair(c, restored[0]!, restored[1]!)) {
          return `restore ${fmt(restored)} is not the confirmed pair ${c.a}/${c.b}`;
        }
      } else if (prev.phase === 'consulting' && input.type === 'hangup' && input.party === 'transferee') {
        // a restore without a fresh confirmation: the consultation bridge, confirmed earlier, stays up
        if (!samePairList(restored, 'transferor', 'target')) {
          return `consultation ended by the transferee, restore ${fmt(restored)}`;
        }
      } else if (prev.phase === 'swapped' && !(input.type === 'hangup' && input.party !== 'target')) {
        // and the swapped consultation's bridge, transferor ↔ transferee, when the target goes
        if (!samePairList(restored, 'transferor', 'transferee')) {
          return `swapped consultation ended, restore ${fmt(restored)}`;
        }
      } else {
        return `restore ${fmt(restored)} without a confirmed bridge (input ${fmt(input)})`;
      }
    }
    for (const p of PARTIES) {
      const stillUp = upBefore[p] && p !== reportedGone;
      if (stillUp && !restored.includes(p) && !killed.has(p)) {
        return `ended (${next.outcome}) leaving ${p} up, neither bridged nor killed; actions ${fmt(actions)}`;
      }
      if (restored.includes(p) && !world.alive[p]) return `restore of a leg that is gone: ${p}`;
    }
    if (next.phase === 'restoring' && !samePairList(restored, next.restoring!.a, next.restoring!.b)) {
      return `restoring ${fmt(next.restoring)} but restored ${fmt(restored)}`;
    }
    return undefined;
  }

  if (restores.length) return `restore while not ended: ${fmt(actions)}`;
  switch (next.phase) {
    case 'ringing':
      if (next.targetAnswered) return 'ringing with an answered target';
      if (!world.alive.transferor) return 'ringing without a transferor';
      if (!world.alive.target) return 'ringing (transferor on ringback) for a target that is gone';
      if (!world.noAnswerTimer) return 'ringing without the no-answer timer';
      if (changes.length) return `actions while staying in ringing: ${fmt(changes)}`;
      break;
    case 'partial':
      if (next.targetAnswered) return 'partial with an answered target';
      if (world.alive.transferor) return 'partial with the transferor up';
      if (!world.alive.transferee) return 'partial without a transferee';
      if (!world.alive.target) return 'partial (transferee on music) for a target that is gone';
      if (!world.noAnswerTimer) return 'partial without the no-answer timer';
      if (changes.length) return `actions while in partial: ${fmt(changes)}`;
      break;
    case 'recalling': {
      if (world.alive.transferor) return 'recalling with the transferor up';
      if (!world.alive.transferee) return 'recalling without a transferee';
      if (world.alive.target) return 'recalling with the target still up';
      const r = next.recall;
      if (!r || r.attempt < 1 || r.attempt > next.policy.recallAttempts) return `recall attempt ${fmt(r)}`;
      // the transferee hears music; the recall leg rings under its timer, or the pause before the next one runs
      if (world.alive.recall ? !world.noAnswerTimer : !world.recallPause) {
        return `recalling with nothing pending: ${fmt(world)}`;
      }
      break;
    }
    case 'consulting':
    case 'swapped': {
      if (up.length !== 3 || !world.alive.transferor || !world.alive.target || !world.alive.transferee) {
        return `${next.phase} with legs gone: ${fmt(world.alive)}`;
      }
      if (next.connecting) return `${next.phase} with a connecting plan`;
      // the one the transferor does not talk to hears music
      const aside = next.phase === 'consulting' ? 'transferee' : 'target';
      if (world.onMusic !== aside) return `${next.phase} without music for the ${aside}: ${fmt(world.onMusic)}`;
      if (prev.phase !== next.phase && prev.phase !== 'connecting') return `${next.phase} entered from ${prev.phase}`;
      break;
    }
    case 'joining':
      if (!world.joinPending) return 'joining with no conference join under way';
      if (!world.alive.transferor || !world.alive.transferee || !world.alive.target) {
        return `joining with legs gone: ${fmt(world.alive)}`;
      }
      break;
    case 'three_way':
      if (up.length !== 3) return `three_way with legs gone: ${fmt(world.alive)}`;
      if (prev.phase !== 'three_way' && !(prev.phase === 'joining' && input.type === 'conferenced')) {
        return `three_way without a confirmed join (from ${prev.phase}, ${fmt(input)})`;
      }
      if (changes.length) return `actions while staying in three_way: ${fmt(changes)}`;
      break;
    case 'connecting': {
      const c = next.connecting;
      if (!c) return 'connecting without a plan';
      if (c.a === c.b) return 'bridging a leg to itself';
      if (!world.alive[c.a] || !world.alive[c.b]) return `connecting ${c.a}/${c.b} with a leg gone`;
      if (c.attempts < 1 || c.attempts > MAX_BRIDGE_ATTEMPTS) return `attempts ${c.attempts}`;
      const p = prev.connecting;
      const samePlan = prev.phase === 'connecting' && p && samePair(p, c.a, c.b);
      const sentNow = bridges.some((b) => samePair(c, b.a, b.b));
      if (!samePlan && !sentNow) return `connecting ${c.a}/${c.b} without a bridge sent: ${fmt(actions)}`;
      if (bridges.some((b) => !samePair(c, b.a, b.b))) return `bridge for another pair: ${fmt(actions)}`;
      if (samePlan && !sentNow && c.attempts !== p!.attempts) return 'attempts changed without a new bridge';
      if (sentNow && samePlan && c.attempts !== p!.attempts + 1) return 'a retry did not count an attempt';
      break;
    }
  }
  // Leaving ringing/partial for good: the no-answer timer is cancelled or has fired.
  if ((prev.phase === 'ringing' || prev.phase === 'partial') && next.phase !== 'ringing' && next.phase !== 'partial') {
    // (a recall starts a timer of its own)
    if (world.noAnswerTimer && !recalls.length) {
      return `left ${prev.phase} for ${next.phase} with the no-answer timer still running`;
    }
  }
  return undefined;
}

function samePairList(list: Party[], a: Party, b: Party): boolean {
  return list.length === 2 && samePair({ a: list[0]!, b: list[1]! }, a, b);
}

interface Failure {
  seed: number;
  trace: string[];
  problem: string;
}

/** Runs `count` random sequences; `realistic` maps a target hangup before the answer to target_failed, as transfer.ts does. */
function explore(count: number, realistic: boolean) {
  const outcomes = new Set<TransferOutcome>();
  const phases = new Set<string>();
  const failures: Failure[] = [];
  let steps = 0;
  for (let seed = 1; seed <= count; seed++) {
    const rnd = prng(seed);
    const blind = rnd() < 0.2;
    const policy =
      rnd() < 0.5
        ? { partialFailure: 'recall' as const, recallAttempts: 1 + Math.floor(rnd() * 3) }
        : { partialFailure: 'hangup' as const, recallAttempts: 0 };
    let s = initialState(blind ? 'partial' : 'ringing', blind, policy);
    const world: World = {
      alive: { ...s.alive },
      noAnswerTimer: true,
      recallPause: false,
      onMusic: 'transferee',
      joinPending: false,
    };
    const trace: string[] = [`start ${s.phase}${blind ? ' (blind)' : ''} ${fmt(policy)}`];
    const length = 1 + Math.floor(rnd() * 16);
    for (let i = 0; i < length; i++) {
      let input = randomInput(rnd, s);
      if (realistic && input.type === 'hangup' && input.party === 'target' && !s.targetAnswered) {
        input = { type: 'target_failed', cause: input.cause };
      }
      if (realistic && input.type === 'hangup' && input.party === 'recall' && !s.recall?.answered) {
        input = { type: 'recall_failed', cause: input.cause };
      }
      // the workflow only reports a recall's answer or failure while its leg is up, and the pause's end while it runs
      if (realistic && (input.type === 'recall_answered' || input.type === 'recall_failed') && !world.alive.recall) {
        continue;
      }
      if (realistic && input.type === 'recall_due' && !world.recallPause) continue;
      // and a conference join's answer only to a join
      if (
        realistic &&
        (input.type === 'conferenced' || input.type === 'conference_not_confirmed') &&
        !world.joinPending
      ) {
        continue;
      }
      trace.push(fmt(input));
      let r: ReturnType<typeof step>;
      try {
        r = step(s, input);
      } catch (err) {
        failures.push({ seed, trace, problem: `threw: ${String(err)}` });
        break;
      }
      steps++;
      trace.push(`  → ${r.state.phase} ${fmt(r.actions)}`);
      const problem = checkStep(world, s, input, r.state, r.actions);
      if (problem) {
        failures.push({ seed, trace, problem });
        break;
      }
      s = r.state;
      phases.add(s.phase);
      if (s.phase === 'ended' && s.outcome) outcomes.add(s.outcome);
    }
  }
  return { outcomes, failures, steps, phases };
}

const ALL_OUTCOMES: readonly TransferOutcome[] = TRANSFER_OUTCOMES;

function report(failures: Failure[]): string {
  const f = failures[0];
  return f ? `${failures.length} failing sequences; first, seed ${f.seed}: ${f.problem}\n${f.trace.join('\n')}` : '';
}

test('property: 4000 random sequences of inputs the workflow can produce keep every invariant', (t) => {
  const { outcomes, failures, steps, phases } = explore(4000, true);
  t.deepEqual(failures, [], report(failures));
  t.true(steps > 10_000, `only ${steps} steps`);
  for (const phase of ['joining', 'three_way', 'swapped'] as const) t.true(phases.has(phase), `never reached ${phase}`);
  // the generator reaches every outcome, so the invariants were checked on every way of ending
  t.deepEqual([...outcomes].sort(), [...ALL_OUTCOMES].sort());
});

// A target hangup before its answer is a target failure, whatever phase: the invariants hold for any input.
test('property: any input, including a target hangup before its answer, keeps every invariant', (t) => {
  const { failures } = explore(2000, false);
  t.deepEqual(failures, [], report(failures));
});

test('property: the invariant checker catches a machine that leaves a leg up', (t) => {
  // sanity check of checkStep itself: an ending step without the kill is reported
  const prev = initialState('ringing', false);
  const world: World = {
    alive: { transferor: true, transferee: true, target: true, recall: false },
    noAnswerTimer: true,
    recallPause: false,
    joinPending: false,
  };
  const next: MachineState = {
    ...prev,
    phase: 'ended',
    outcome: 'target_failed',
    alive: { ...prev.alive, target: false },
  };
  const problem = checkStep(world, prev, { type: 'target_failed', cause: 'USER_BUSY' }, next, [
    { do: 'cancel_no_answer_timer' },
  ]);
  t.regex(problem ?? '', /leaving transferor up/);
  // and accepts the real step
  const real = step(prev, { type: 'target_failed', cause: 'USER_BUSY' });
  const world2: World = {
    alive: { transferor: true, transferee: true, target: true, recall: false },
    noAnswerTimer: true,
    recallPause: false,
    joinPending: false,
  };
  t.is(checkStep(world2, prev, { type: 'target_failed', cause: 'USER_BUSY' }, real.state, real.actions), undefined);
});
