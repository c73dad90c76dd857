import test, { type ExecutionContext } from 'ava';
import {
  HANG_UP_ON_PARTIAL_FAILURE,
  MAX_BRIDGE_ATTEMPTS,
  auditInputs,
  bridgeEndsTransfer,
  initialState,
  resume,
  step,
  type Seen,
  type Action,
  type Input,
  type MachineState,
  type Party,
} from '../../workflows/transfer-machine.ts';
import {
  answered,
  bridge,
  bridged,
  consulting,
  drive,
  hangup,
  kill,
  restore,
  run,
  type Expect,
} from '../support/machine.ts';

// Inputs, as the transfer workflow produces them from switch events, timers and activity results.
const targetFailed = (cause: string): Input => ({ type: 'target_failed', cause });
const noAnswer: Input = { type: 'no_answer_timeout' };
const deadline: Input = { type: 'bridge_deadline' };
const notConfirmed: Input = { type: 'bridge_not_confirmed' };
const cancel = (by = 'takeback'): Input => ({ type: 'takeback', by });
const restored: Input = { type: 'restored' };

// Actions.
const check = (a: Party, b: Party): Action => ({ do: 'check_bridge', a, b });
const cancelTimer: Action = { do: 'cancel_no_answer_timer' };
const recall = (attempt: number): Action => ({ do: 'recall', attempt });
const pause: Action = { do: 'wait_before_recall' };
const recallAnswered: Input = { type: 'recall_answered' };
const recallFailed = (cause: string): Input => ({ type: 'recall_failed', cause });
const recallDue: Input = { type: 'recall_due' };

const ringing = (): MachineState => initialState('ringing', false);
/** A leg as the switch shows it (an audit's read). */
const up = (bridgedTo?: Party | 'other', answered = true) => ({ exists: true, answered, bridgedTo });
const down = { exists: false, answered: false };

function alive(s: MachineState): Party[] {
  return (['transferor', 'transferee', 'target', 'recall'] as const).filter((p) => s.alive[p]);
}

// ---------------------------------------------------------------------------------------------------------------

test('initialState: attended starts ringing with everyone alive; blind starts partial without the transferor', (t) => {
  t.deepEqual(initialState('ringing', false), {
    phase: 'ringing',
    alive: { transferor: true, transferee: true, target: true, recall: false },
    targetAnswered: false,
    policy: { partialFailure: 'hangup', recallAttempts: 0 },
    blind: false,
  });
  t.deepEqual(initialState('partial', true), {
    phase: 'partial',
    alive: { transferor: false, transferee: true, target: true, recall: false },
    targetAnswered: false,
    policy: { partialFailure: 'hangup', recallAttempts: 0 },
    blind: true,
  });
  t.is(MAX_BRIDGE_ATTEMPTS, 3);
});

test('attended, completed: consult, the transferor hangs up, transferee ↔ target', (t) => {
  const end = drive(t, ringing(), [
    { input: answered, phase: 'connecting', actions: [cancelTimer, bridge('transferor', 'target')] },
    { input: bridged('transferor', 'target'), phase: 'consulting', actions: [] },
    { input: hangup('transferor'), phase: 'connecting', actions: [bridge('transferee', 'target')] },
    { input: bridged('transferee', 'target'), phase: 'restoring', actions: [restore('transferee', 'target')] },
  ]);
  t.is(end.outcome, 'completed');
  t.deepEqual(alive(end), ['transferee', 'target']);
  t.true(end.targetAnswered);
  t.is(end.connecting, undefined);
});

test('bridgeEndsTransfer: the consultation’s bridge does not, the completing and the takeback’s do (their pair is restored)', (t) => {
  let s = ringing();
  t.false(bridgeEndsTransfer(s));
  s = step(s, answered).state;
  t.false(bridgeEndsTransfer(s), 'transferor ↔ target: the consultation');
  s = step(s, bridged('transferor', 'target')).state;
  s = step(s, hangup('transferor')).state;
  t.true(bridgeEndsTransfer(s), 'transferee ↔ target: completed');
  const done = step(s, bridged('transferee', 'target'));
  t.deepEqual(done.actions, [restore('transferee', 'target')], 'the pair bridged is the pair restored');
  let back = step(step(ringing(), answered).state, bridged('transferor', 'target')).state;
  back = step(back, cancel()).state;
  t.true(bridgeEndsTransfer(back), 'transferor ↔ transferee: taken back');
});

test('attended, completed: CHANNEL_BRIDGE may name the pair in either order', (t) => {
  const end = drive(t, ringing(), [
    { input: answered, phase: 'connecting', actions: [cancelTimer, bridge('transferor', 'target')] },
    { input: bridged('target', 'transferor'), phase: 'consulting', actions: [] },
    { input: hangup('transferor'), phase: 'connecting', actions: [bridge('transferee', 'target')] },
    { input: bridged('target', 'transferee'), phase: 'restoring', actions: [restore('transferee', 'target')] },
  ]);
  t.is(end.outcome, 'completed');
});

test('partial: the transferor hangs up while the target rings; the transferee gets it on answer', (t) => {
  const end = drive(t, ringing(), [
    // no action: the no-answer timer keeps running, the transferee keeps its music
    { input: hangup('transferor'), phase: 'partial', actions: [] },
    { input: answered, phase: 'connecting', actions: [cancelTimer, bridge('transferee', 'target')] },
    { input: bridged('transferee', 'target'), phase: 'restoring', actions: [restore('transferee', 'target')] },
  ]);
  t.is(end.outcome, 'completed_partial');
  t.deepEqual(alive(end), ['transferee', 'target']);
});

test('partial, then the target fails: the transferee is released with the target’s cause', (t) => {
  const end = drive(t, ringing(), [
    { input: hangup('transferor'), phase: 'partial', actions: [] },
    { input: targetFailed('USER_BUSY'), phase: 'ended', actions: [cancelTimer, kill('transferee', 'USER_BUSY')] },
  ]);
  t.is(end.outcome, 'partial_failed');
  t.is(end.reason, 'USER_BUSY');
  t.deepEqual(alive(end), []);
});

test('partial, then no answer: target and transferee are released with NO_ANSWER', (t) => {
  const end = drive(t, ringing(), [
    { input: hangup('transferor'), phase: 'partial', actions: [] },
    { input: noAnswer, phase: 'ended', actions: [kill('target', 'NO_ANSWER'), kill('transferee', 'NO_ANSWER')] },
  ]);
  t.is(end.outcome, 'partial_failed');
  t.is(end.reason, 'NO_ANSWER');
  t.deepEqual(alive(end), []);
});

test('partial, then the transferee hangs up: the ringing target is cancelled', (t) => {
  const end = drive(t, ringing(), [
    { input: hangup('transferor'), phase: 'partial', actions: [] },
    {
      input: hangup('transferee', 'NORMAL_CLEARING'),
      phase: 'ended',
      actions: [cancelTimer, kill('target', 'ORIGINATOR_CANCEL')],
    },
  ]);
  t.is(end.outcome, 'transferor_and_transferee_left');
  t.deepEqual(alive(end), []);
});

test('partial: a cancel has nobody to give the transferee back to and changes nothing', (t) => {
  const s = run(ringing(), [hangup('transferor')]);
  const r = step(s, cancel('api'));
  t.deepEqual(r.actions, []);
  t.deepEqual(r.state, s);
});

for (const cause of ['NO_ROUTE_DESTINATION', 'USER_BUSY', 'CALL_REJECTED']) {
  test(`target fails (${cause}): transferor ↔ transferee reconnected, ended target_failed`, (t) => {
    const end = drive(t, ringing(), [
      { input: targetFailed(cause), phase: 'connecting', actions: [cancelTimer, bridge('transferor', 'transferee')] },
      // the target leg's own hangup event, arriving after the originate result: already known
      { input: hangup('target', cause), phase: 'connecting', actions: [] },
      { input: targetFailed(cause), phase: 'connecting', actions: [] },
      {
        input: bridged('transferor', 'transferee'),
        phase: 'restoring',
        actions: [restore('transferor', 'transferee')],
      },
    ]);
    t.is(end.outcome, 'target_failed');
    t.is(end.reason, cause);
    t.deepEqual(alive(end), ['transferor', 'transferee']);
  });
}

test('no answer: the target is killed with NO_ANSWER and the parties reconnected', (t) => {
  const end = drive(t, ringing(), [
    {
      input: noAnswer,
      phase: 'connecting',
      actions: [kill('target', 'NO_ANSWER'), bridge('transferor', 'transferee')],
    },
    // the killed target's hangup (or a late answer racing the kill) changes nothing
    { input: targetFailed('NO_ANSWER'), phase: 'connecting', actions: [] },
    { input: answered, phase: 'connecting', actions: [] },
    { input: bridged('transferor', 'transferee'), phase: 'restoring', actions: [restore('transferor', 'transferee')] },
  ]);
  t.is(end.outcome, 'target_failed');
  t.is(end.reason, 'NO_ANSWER');
  t.false(end.targetAnswered);
});

test('takeback while ringing: target cancelled, parties reconnected, taken_back', (t) => {
  const end = drive(t, ringing(), [
    {
      input: cancel('takeback'),
      phase: 'connecting',
      actions: [cancelTimer, kill('target', 'ORIGINATOR_CANCEL'), bridge('transferor', 'transferee')],
    },
    { input: hangup('target', 'ORIGINATOR_CANCEL'), phase: 'connecting', actions: [] },
    { input: bridged('transferor', 'transferee'), phase: 'restoring', actions: [restore('transferor', 'transferee')] },
  ]);
  t.is(end.outcome, 'taken_back');
  t.is(end.reason, 'takeback');
});

test('takeback while consulting: target hung up, parties reconnected, taken_back', (t) => {
  const end = drive(t, consulting(), [
    {
      input: cancel('resume'),
      phase: 'connecting',
      actions: [kill('target', 'NORMAL_CLEARING'), bridge('transferor', 'transferee')],
    },
    { input: hangup('target'), phase: 'connecting', actions: [] },
    { input: bridged('transferor', 'transferee'), phase: 'restoring', actions: [restore('transferor', 'transferee')] },
  ]);
  t.is(end.outcome, 'taken_back');
  t.is(end.reason, 'resume');
});

test('the target hangs up during the consultation: parties reconnected, target_hung_up', (t) => {
  const end = drive(t, consulting(), [
    { input: hangup('target', 'NORMAL_CLEARING'), phase: 'connecting', actions: [bridge('transferor', 'transferee')] },
    { input: bridged('transferor', 'transferee'), phase: 'restoring', actions: [restore('transferor', 'transferee')] },
  ]);
  t.is(end.outcome, 'target_hung_up');
  t.is(end.reason, 'NORMAL_CLEARING');
});

test('a target_failed during the consultation is a target hangup', (t) => {
  const end = drive(t, consulting(), [
    { input: targetFailed('MEDIA_TIMEOUT'), phase: 'connecting', actions: [bridge('transferor', 'transferee')] },
    { input: bridged('transferor', 'transferee'), phase: 'restoring', actions: [restore('transferor', 'transferee')] },
  ]);
  t.is(end.outcome, 'target_hung_up');
  t.is(end.reason, 'MEDIA_TIMEOUT');
});

test('the transferee hangs up while ringing: the transferor keeps ringback and keeps talking to the target', (t) => {
  const end = drive(t, ringing(), [
    { input: hangup('transferee'), phase: 'ringing', actions: [] },
    { input: answered, phase: 'connecting', actions: [cancelTimer, bridge('transferor', 'target')] },
    { input: bridged('transferor', 'target'), phase: 'restoring', actions: [restore('transferor', 'target')] },
  ]);
  t.is(end.outcome, 'transferee_left');
  t.deepEqual(alive(end), ['transferor', 'target']);
});

// Every transferee_left path reports the transferee's cause as the reason, this one too.
test('the transferee hangs up while ringing: the outcome’s reason is the transferee’s cause', (t) => {
  const end = run(ringing(), [hangup('transferee', 'ORIGINATOR_CANCEL'), answered, bridged('transferor', 'target')]);
  t.is(end.outcome, 'transferee_left');
  t.is(end.reason, 'ORIGINATOR_CANCEL');
});

test('the transferee hangs up while ringing, then the target fails: the transferor is released', (t) => {
  const end = drive(t, ringing(), [
    { input: hangup('transferee'), phase: 'ringing', actions: [] },
    {
      input: targetFailed('USER_BUSY'),
      phase: 'ended',
      actions: [cancelTimer, kill('transferor', 'NORMAL_CLEARING')],
    },
  ]);
  t.is(end.outcome, 'target_failed');
  t.is(end.reason, 'USER_BUSY');
  t.deepEqual(alive(end), []);
});

test('the transferee hangs up while ringing, then no answer: target and transferor released', (t) => {
  const end = drive(t, ringing(), [
    { input: hangup('transferee'), phase: 'ringing', actions: [] },
    {
      input: noAnswer,
      phase: 'ended',
      actions: [kill('target', 'NO_ANSWER'), kill('transferor', 'NORMAL_CLEARING')],
    },
  ]);
  t.is(end.outcome, 'target_failed');
  t.deepEqual(alive(end), []);
});

test('the transferee hangs up while ringing, then the transferor: the target is cancelled', (t) => {
  const end = drive(t, ringing(), [
    { input: hangup('transferee'), phase: 'ringing', actions: [] },
    { input: hangup('transferor'), phase: 'ended', actions: [cancelTimer, kill('target', 'ORIGINATOR_CANCEL')] },
  ]);
  t.is(end.outcome, 'transferor_and_transferee_left');
  t.deepEqual(alive(end), []);
});

test('the transferee hangs up during the consultation: transferor and target stay, transferee_left', (t) => {
  const end = drive(t, consulting(), [
    { input: hangup('transferee', 'NORMAL_CLEARING'), phase: 'restoring', actions: [restore('transferor', 'target')] },
  ]);
  t.is(end.outcome, 'transferee_left');
  t.is(end.reason, 'NORMAL_CLEARING');
  t.deepEqual(alive(end), ['transferor', 'target']);
});

test('blind: starts partial; target answers → transferee ↔ target, completed_blind', (t) => {
  const end = drive(t, initialState('partial', true), [
    // the transferor, released by the prologue, hangs up: already known gone
    { input: hangup('transferor'), phase: 'partial', actions: [] },
    { input: answered, phase: 'connecting', actions: [cancelTimer, bridge('transferee', 'target')] },
    { input: bridged('transferee', 'target'), phase: 'restoring', actions: [restore('transferee', 'target')] },
  ]);
  t.is(end.outcome, 'completed_blind');
  t.true(end.blind);
});

test('blind: the target fails → partial_failed, transferee released with the target’s cause', (t) => {
  const end = drive(t, initialState('partial', true), [
    {
      input: targetFailed('NO_ROUTE_DESTINATION'),
      phase: 'ended',
      actions: [cancelTimer, kill('transferee', 'NO_ROUTE_DESTINATION')],
    },
  ]);
  t.is(end.outcome, 'partial_failed');
  t.is(end.reason, 'NO_ROUTE_DESTINATION');
});

// ---------------------------------------------------------------------------------------------------------------
// Bridge confirmation

test('bridge confirmation: the deadline asks the switch; a confirmed read completes as an event would', (t) => {
  const end = drive(t, ringing(), [
    { input: answered, phase: 'connecting', actions: [cancelTimer, bridge('transferor', 'target')] },
    { input: deadline, phase: 'connecting', actions: [check('transferor', 'target')] },
    { input: bridged('transferor', 'target'), phase: 'consulting', actions: [] },
  ]);
  t.is(end.connecting, undefined);
});

test(`bridge confirmation: retried up to ${MAX_BRIDGE_ATTEMPTS} attempts, then everyone alive is released`, (t) => {
  const retries: Expect[] = [];
  for (let attempt = 2; attempt <= MAX_BRIDGE_ATTEMPTS; attempt++) {
    retries.push({ input: deadline, phase: 'connecting', actions: [check('transferor', 'target')] });
    retries.push({ input: notConfirmed, phase: 'connecting', actions: [bridge('transferor', 'target')] });
  }
  const s = drive(t, ringing(), [
    { input: answered, phase: 'connecting', actions: [cancelTimer, bridge('transferor', 'target')] },
    ...retries,
  ]);
  t.is(s.connecting?.attempts, MAX_BRIDGE_ATTEMPTS);
  const end = drive(t, s, [
    { input: deadline, phase: 'connecting', actions: [check('transferor', 'target')] },
    {
      input: notConfirmed,
      phase: 'ended',
      actions: [
        kill('transferor', 'NORMAL_TEMPORARY_FAILURE'),
        kill('transferee', 'NORMAL_TEMPORARY_FAILURE'),
        kill('target', 'NORMAL_TEMPORARY_FAILURE'),
      ],
    },
  ]);
  t.is(end.outcome, 'failed');
  t.is(end.reason, 'BRIDGE_FAILED');
  t.deepEqual(alive(end), []);
});

// --- a bridge the switch refuses because a leg does not exist (uuid_bridge: `-ERR Invalid uuid`) -------------------------

const refused: Input = { type: 'bridge_refused' };
const audited: Input = { type: 'legs_audited' };
const audit: Action = { do: 'audit' };

/** The audit's answer fed to the machine one input at a time, as the transfer workflow queues them. */
function feedAudit(t: ExecutionContext, s: MachineState, seen: Seen, expected: Expect[]): MachineState {
  const inputs = auditInputs(s, seen);
  t.deepEqual(
    inputs,
    expected.map((e) => (Array.isArray(e) ? e[0] : e.input)),
    'the audit answers with these inputs',
  );
  return drive(t, s, expected);
}

test('bridge refused: the transferor left unheard while the target answered → transferee ↔ target, no failed attempt', (t) => {
  // The chaos case: Temporal was down as the transferor hung up; the target's answer was read from the switch.
  const s = drive(t, ringing(), [
    { input: answered, phase: 'connecting', actions: [cancelTimer, bridge('transferor', 'target')] },
    { input: refused, phase: 'connecting', actions: [audit] },
  ]);
  t.is(s.connecting?.attempts, 1);
  const end = feedAudit(t, s, { transferor: down, transferee: up(), target: up() }, [
    { input: hangup('transferor'), phase: 'connecting', actions: [bridge('transferee', 'target')] },
    // the refusal was the transferor's hangup: nothing left to count
    { input: audited, phase: 'connecting', actions: [] },
  ]);
  t.like(end.connecting, { a: 'transferee', b: 'target', goal: 'complete', attempts: 1 });
  const done = drive(t, end, [
    { input: bridged('transferee', 'target'), phase: 'restoring', actions: [restore('transferee', 'target')] },
  ]);
  t.is(done.outcome, 'completed');
  t.deepEqual(alive(done), ['transferee', 'target']);
});

test(`bridge refused with every leg there: a failed attempt; after ${MAX_BRIDGE_ATTEMPTS} everyone alive is released`, (t) => {
  let s = run(ringing(), [answered]);
  const all: Seen = { transferor: up(), transferee: up(), target: up() };
  for (let attempt = 2; attempt <= MAX_BRIDGE_ATTEMPTS; attempt++) {
    s = drive(t, s, [{ input: refused, phase: 'connecting', actions: [audit] }]);
    s = feedAudit(t, s, all, [{ input: audited, phase: 'connecting', actions: [bridge('transferor', 'target')] }]);
    t.is(s.connecting?.attempts, attempt);
    t.is(s.connecting?.refused, undefined, 'the next attempt starts unrefused');
  }
  s = drive(t, s, [{ input: refused, phase: 'connecting', actions: [audit] }]);
  const end = feedAudit(t, s, all, [
    {
      input: audited,
      phase: 'ended',
      actions: [
        kill('transferor', 'NORMAL_TEMPORARY_FAILURE'),
        kill('transferee', 'NORMAL_TEMPORARY_FAILURE'),
        kill('target', 'NORMAL_TEMPORARY_FAILURE'),
      ],
    },
  ]);
  t.is(end.reason, 'BRIDGE_FAILED');
});

test('bridge refused, the transferee found gone: the same pair is still the one to bridge, tried again', (t) => {
  const s = drive(t, run(ringing(), [answered]), [{ input: refused, phase: 'connecting', actions: [audit] }]);
  const end = feedAudit(t, s, { transferor: up(), transferee: down, target: up() }, [
    { input: hangup('transferee'), phase: 'connecting', actions: [] },
    { input: audited, phase: 'connecting', actions: [bridge('transferor', 'target')] },
  ]);
  t.like(end.connecting, { goal: 'keep_talking', attempts: 2 });
});

test('bridge refused while completing, the target found gone: a partial failure, the transferee released', (t) => {
  const s = drive(t, run(ringing(), [answered, hangup('transferor')]), [
    { input: refused, phase: 'connecting', actions: [audit] },
  ]);
  const end = feedAudit(t, s, { transferor: down, transferee: up(), target: down }, [
    { input: hangup('target'), phase: 'ended', actions: [kill('transferee', 'NORMAL_CLEARING')] },
    { input: audited, phase: 'ended', actions: [] },
  ]);
  t.is(end.outcome, 'partial_failed');
});

test("bridge refused, then its leg's own hangup arrives before the audit answers: the audit changes nothing more", (t) => {
  const s = drive(t, run(ringing(), [answered]), [
    { input: refused, phase: 'connecting', actions: [audit] },
    { input: hangup('transferor'), phase: 'connecting', actions: [bridge('transferee', 'target')] },
  ]);
  // the read now shows what the machine knows; the re-planned bridge is checked at once like any audit's
  t.deepEqual(auditInputs(s, { transferor: down, transferee: up(), target: up() }), [deadline]);
  t.deepEqual(step(s, audited).actions, []);
});

test('bridge refused or legs_audited outside connecting change nothing', (t) => {
  for (const s of [ringing(), consulting()]) {
    for (const input of [refused, audited]) t.deepEqual(step(s, input), { state: s, actions: [] });
  }
});

test('bridge confirmation: the attempt count is reset for a new bridge', (t) => {
  // consult bridge fails twice, then the transferor hangs up: the complete bridge gets its own attempts
  const s = run(ringing(), [answered, notConfirmed, notConfirmed]);
  t.is(s.connecting?.attempts, 3);
  const r = step(s, hangup('transferor'));
  t.deepEqual(r.actions, [bridge('transferee', 'target')]);
  t.deepEqual(r.state.connecting, {
    a: 'transferee',
    b: 'target',
    goal: 'complete',
    attempts: 1,
    outcome: 'completed',
    reason: undefined,
  });
});

test('bridge confirmation: failing a reconnect releases only the living (the target is already gone)', (t) => {
  const s = run(ringing(), [targetFailed('USER_BUSY'), notConfirmed, notConfirmed]);
  const r = step(s, notConfirmed);
  t.is(r.state.phase, 'ended');
  t.is(r.state.outcome, 'failed');
  t.deepEqual(r.actions, [
    kill('transferor', 'NORMAL_TEMPORARY_FAILURE'),
    kill('transferee', 'NORMAL_TEMPORARY_FAILURE'),
  ]);
});

test('bridge confirmation: failing a partial completion releases transferee and target', (t) => {
  const s = run(ringing(), [hangup('transferor'), answered, notConfirmed, notConfirmed]);
  const r = step(s, notConfirmed);
  t.is(r.state.outcome, 'failed');
  t.deepEqual(r.actions, [kill('transferee', 'NORMAL_TEMPORARY_FAILURE'), kill('target', 'NORMAL_TEMPORARY_FAILURE')]);
});

test('bridge confirmation: a `bridged` for another pair while connecting is ignored', (t) => {
  const s = run(ringing(), [answered]);
  for (const other of [bridged('transferor', 'transferee'), bridged('transferee', 'target')]) {
    const r = step(s, other);
    t.deepEqual(r.actions, []);
    t.deepEqual(r.state, s);
  }
});

test('bridge confirmation: deadline and not-confirmed outside connecting change nothing', (t) => {
  for (const s of [ringing(), consulting(), run(ringing(), [hangup('transferor')])]) {
    for (const input of [deadline, notConfirmed, bridged('transferor', 'target')]) {
      const r = step(s, input);
      t.deepEqual(r.actions, [], `${s.phase} + ${input.type}`);
      t.deepEqual(r.state, s, `${s.phase} + ${input.type}`);
    }
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Hangups while connecting: re-planning for each goal

test('connecting consult, the transferee hangs up: the bridge goes on as keep_talking', (t) => {
  const end = drive(t, run(ringing(), [answered]), [
    { input: hangup('transferee', 'NORMAL_CLEARING'), phase: 'connecting', actions: [] },
    { input: bridged('transferor', 'target'), phase: 'restoring', actions: [restore('transferor', 'target')] },
  ]);
  t.is(end.outcome, 'transferee_left');
  t.is(end.reason, 'NORMAL_CLEARING');
});

test('connecting consult, the transferor hangs up: transferee ↔ target instead (completed)', (t) => {
  const end = drive(t, run(ringing(), [answered]), [
    { input: hangup('transferor'), phase: 'connecting', actions: [bridge('transferee', 'target')] },
    // the first bridge's event arriving late is for the wrong pair now
    { input: bridged('transferor', 'target'), phase: 'connecting', actions: [] },
    { input: bridged('transferee', 'target'), phase: 'restoring', actions: [restore('transferee', 'target')] },
  ]);
  t.is(end.outcome, 'completed');
});

test('connecting consult, transferee then transferor hang up: the target is released', (t) => {
  const end = drive(t, run(ringing(), [answered]), [
    { input: hangup('transferee'), phase: 'connecting', actions: [] },
    { input: hangup('transferor', 'NORMAL_CLEARING'), phase: 'ended', actions: [kill('target', 'NORMAL_CLEARING')] },
  ]);
  t.deepEqual(alive(end), []);
  // keep_talking's survivor release: the outcome recorded when the transferee left
  t.is(end.outcome, 'transferee_left');
});

test('connecting consult, the target hangs up: parties reconnected (target_hung_up)', (t) => {
  const end = drive(t, run(ringing(), [answered]), [
    { input: hangup('target', 'NORMAL_CLEARING'), phase: 'connecting', actions: [bridge('transferor', 'transferee')] },
    { input: bridged('transferor', 'transferee'), phase: 'restoring', actions: [restore('transferor', 'transferee')] },
  ]);
  t.is(end.outcome, 'target_hung_up');
});

test('connecting consult, a cancel: target killed, parties reconnected (taken_back)', (t) => {
  const end = drive(t, run(ringing(), [answered]), [
    {
      input: cancel('api'),
      phase: 'connecting',
      actions: [kill('target', 'NORMAL_CLEARING'), bridge('transferor', 'transferee')],
    },
    { input: bridged('transferor', 'transferee'), phase: 'restoring', actions: [restore('transferor', 'transferee')] },
  ]);
  t.is(end.outcome, 'taken_back');
  t.is(end.reason, 'api');
});

test('connecting complete, the transferee hangs up: the target is released (transferee_left)', (t) => {
  const s = run(consulting(), [hangup('transferor')]);
  const end = drive(t, s, [
    { input: hangup('transferee', 'NORMAL_CLEARING'), phase: 'ended', actions: [kill('target', 'NORMAL_CLEARING')] },
  ]);
  t.is(end.outcome, 'transferee_left');
  t.deepEqual(alive(end), []);
});

test('connecting complete, the target hangs up: the transferee is released (partial_failed)', (t) => {
  const s = run(ringing(), [hangup('transferor'), answered]);
  const end = drive(t, s, [
    { input: hangup('target', 'NORMAL_CLEARING'), phase: 'ended', actions: [kill('transferee', 'NORMAL_CLEARING')] },
  ]);
  t.is(end.outcome, 'partial_failed');
  t.is(end.reason, 'NORMAL_CLEARING');
  t.deepEqual(alive(end), []);
});

test('connecting complete: a cancel changes nothing (the transferor is gone)', (t) => {
  const s = run(consulting(), [hangup('transferor')]);
  const r = step(s, cancel('api'));
  t.deepEqual(r.actions, []);
  t.deepEqual(r.state, s);
});

test('connecting reconnect, the transferor hangs up: the transferee is released with the planned outcome', (t) => {
  const s = run(ringing(), [targetFailed('USER_BUSY')]);
  const end = drive(t, s, [
    { input: hangup('transferor'), phase: 'ended', actions: [kill('transferee', 'NORMAL_CLEARING')] },
  ]);
  t.is(end.outcome, 'target_failed');
  t.is(end.reason, 'USER_BUSY');
  t.deepEqual(alive(end), []);
});

test('connecting reconnect, the transferee hangs up: the transferor is released', (t) => {
  const s = run(consulting(), [cancel('takeback')]);
  const end = drive(t, s, [
    { input: hangup('transferee'), phase: 'ended', actions: [kill('transferor', 'NORMAL_CLEARING')] },
  ]);
  t.is(end.outcome, 'taken_back');
  t.is(end.reason, 'takeback');
});

test('connecting reconnect: a cancel changes nothing (already giving back)', (t) => {
  const s = run(ringing(), [cancel('takeback')]);
  const r = step(s, cancel('takeback'));
  t.deepEqual(r.actions, []);
  t.deepEqual(r.state, s);
});

test('connecting keep_talking, the target hangs up: the transferor is released', (t) => {
  const s = run(ringing(), [hangup('transferee'), answered]);
  t.is(s.connecting?.goal, 'keep_talking');
  const end = drive(t, s, [
    { input: hangup('target'), phase: 'ended', actions: [kill('transferor', 'NORMAL_CLEARING')] },
  ]);
  t.is(end.outcome, 'transferee_left');
  t.deepEqual(alive(end), []);
});

test('connecting keep_talking, the transferor hangs up: the target is released', (t) => {
  const s = run(ringing(), [answered, hangup('transferee')]);
  t.is(s.connecting?.goal, 'keep_talking');
  const end = drive(t, s, [
    { input: hangup('transferor'), phase: 'ended', actions: [kill('target', 'NORMAL_CLEARING')] },
  ]);
  t.is(end.outcome, 'transferee_left');
});

// ---------------------------------------------------------------------------------------------------------------
// Duplicates and late inputs

test('a second hangup of a killed party changes nothing', (t) => {
  const s = run(ringing(), [noAnswer]); // target killed
  for (const input of [hangup('target', 'NO_ANSWER'), targetFailed('NO_ANSWER')]) {
    const r = step(s, input);
    t.deepEqual(r.actions, []);
    t.deepEqual(r.state, s);
  }
});

test('a second hangup of the same party changes nothing', (t) => {
  const s = run(ringing(), [hangup('transferee')]);
  const r = step(s, hangup('transferee', 'SOMETHING_ELSE'));
  t.deepEqual(r.actions, []);
  t.deepEqual(r.state, s);
});

test('target_answered twice changes nothing (originate result and CHANNEL_ANSWER)', (t) => {
  for (const s of [run(ringing(), [answered]), consulting(), run(ringing(), [hangup('transferor'), answered])]) {
    const r = step(s, answered);
    t.deepEqual(r.actions, []);
    t.deepEqual(r.state, s);
  }
});

test('a no-answer timeout racing the answer changes nothing once connecting or consulting', (t) => {
  for (const s of [run(ringing(), [answered]), consulting()]) {
    const r = step(s, noAnswer);
    t.deepEqual(r.actions, []);
    t.deepEqual(r.state, s);
  }
});

test('inputs after ended produce no actions and keep the outcome', (t) => {
  const end = run(consulting(), [hangup('transferor'), bridged('transferee', 'target'), restored]);
  t.is(end.phase, 'ended');
  t.is(end.outcome, 'completed');
  const inputs: Input[] = [
    answered,
    targetFailed('X'),
    noAnswer,
    hangup('transferee'),
    hangup('target'),
    hangup('transferor'),
    bridged('transferee', 'target'),
    deadline,
    notConfirmed,
    cancel(),
  ];
  let s = end;
  for (const input of inputs) {
    const r = step(s, input);
    t.deepEqual(r.actions, [], input.type);
    t.is(r.state.phase, 'ended');
    t.is(r.state.outcome, 'completed');
    t.is(r.state.reason, end.reason);
    s = r.state;
  }
  // control inputs leave even the facts untouched
  for (const input of [noAnswer, deadline, notConfirmed, cancel(), bridged('transferee', 'target')]) {
    t.deepEqual(step(end, input).state, end);
  }
});

// After the final bridge the pair still carries park_after_bridge until the restore has run: a hangup of one of them
// would leave the other parked alone, in silence.
test('restoring: a hangup of one of the joined legs before the restore has run ends the other', (t) => {
  const completing = run(consulting(), [hangup('transferor')]);
  for (const [gone, survivor] of [
    ['transferee', 'target'],
    ['target', 'transferee'],
  ] as const) {
    const end = drive(t, completing, [
      { input: bridged('transferee', 'target'), phase: 'restoring', actions: [restore('transferee', 'target')] },
      { input: hangup(gone), phase: 'ended', actions: [kill(survivor, 'NORMAL_CLEARING')] },
      { input: restored, phase: 'ended', actions: [] },
    ]);
    t.is(end.outcome, 'completed', 'the transfer happened: its outcome stands');
    t.deepEqual(alive(end), []);
  }
  // taken back: the transferor hangs up at once; the transferee is not left parked
  const end = drive(t, consulting(), [
    {
      input: cancel(),
      phase: 'connecting',
      actions: [kill('target', 'NORMAL_CLEARING'), bridge('transferor', 'transferee')],
    },
    { input: bridged('transferor', 'transferee'), phase: 'restoring', actions: [restore('transferor', 'transferee')] },
    { input: hangup('target'), phase: 'restoring', actions: [] },
    { input: hangup('transferor'), phase: 'ended', actions: [kill('transferee', 'NORMAL_CLEARING')] },
  ]);
  t.is(end.outcome, 'taken_back');
  // the transferee left during the consultation, then the transferor: the target is not left parked
  drive(t, consulting(), [
    { input: hangup('transferee'), phase: 'restoring', actions: [restore('transferor', 'target')] },
    { input: hangup('transferor'), phase: 'ended', actions: [kill('target', 'NORMAL_CLEARING')] },
  ]);
});

test('restoring: a leg found gone by the restore (its hangup not heard yet) ends the other', (t) => {
  const completing = run(consulting(), [hangup('transferor')]);
  const end = drive(t, completing, [
    { input: bridged('transferee', 'target'), phase: 'restoring', actions: [restore('transferee', 'target')] },
    { input: { type: 'restored', gone: ['transferee'] }, phase: 'ended', actions: [kill('target', 'NORMAL_CLEARING')] },
    { input: hangup('transferee'), phase: 'ended', actions: [] },
  ]);
  t.is(end.outcome, 'completed');
  t.deepEqual(alive(end), []);
  // both gone: nobody to end
  const both = step(step(completing, bridged('transferee', 'target')).state, {
    type: 'restored',
    gone: ['transferee', 'target'],
  });
  t.deepEqual(both.actions, []);
  t.deepEqual(alive(both.state), []);
});

test('restoring: once the restore has run, the pair is an ordinary call again', (t) => {
  const end = drive(t, run(consulting(), [hangup('transferor')]), [
    { input: bridged('transferee', 'target'), phase: 'restoring', actions: [restore('transferee', 'target')] },
    { input: noAnswer, phase: 'restoring', actions: [] },
    { input: cancel(), phase: 'restoring', actions: [] },
    { input: restored, phase: 'ended', actions: [] },
    { input: hangup('transferee'), phase: 'ended', actions: [] },
  ]);
  t.is(end.outcome, 'completed');
  t.deepEqual(alive(end), ['target'], 'a hangup after the restore is the switch’s business');
});

test('step never mutates the state it is given (kills mark the copy)', (t) => {
  const s = ringing();
  const copy = structuredClone(s);
  const r = step(s, cancel());
  t.deepEqual(s, copy);
  t.false(r.state.alive.target);
  t.true(s.alive.target);
});

// `hangup target` before the answer is a target failure, whatever the caller sends.
test('a hangup of the unanswered target while ringing is a target failure', (t) => {
  const r = step(ringing(), hangup('target', 'USER_BUSY'));
  t.is(r.state.phase, 'connecting');
  t.deepEqual(r.actions, [cancelTimer, bridge('transferor', 'transferee')]);
});

test('a hangup of the unanswered target in partial is a target failure', (t) => {
  const r = step(initialState('partial', true), hangup('target', 'USER_BUSY'));
  t.is(r.state.phase, 'ended');
  t.is(r.state.outcome, 'partial_failed');
  t.deepEqual(r.actions, [cancelTimer, kill('transferee', 'USER_BUSY')]);
});

// --- partial failure, policy `recall`: the transferor is called back -------------------------------------------------

const recallPolicy = (recallAttempts: number) => ({ partialFailure: 'recall' as const, recallAttempts });
const partialWithRecall = (attempts = 2): MachineState =>
  run(initialState('ringing', false, recallPolicy(attempts)), [hangup('transferor')]);

test('recall: a partial transfer whose target is busy calls the transferor back and connects the transferee', (t) => {
  const end = drive(t, partialWithRecall(), [
    { input: targetFailed('USER_BUSY'), phase: 'recalling', actions: [cancelTimer, recall(1)] },
    { input: recallAnswered, phase: 'connecting', actions: [cancelTimer, bridge('transferee', 'recall')] },
    { input: bridged('recall', 'transferee'), phase: 'restoring', actions: [restore('transferee', 'recall')] },
  ]);
  t.is(end.outcome, 'recalled');
  t.is(end.reason, 'USER_BUSY', 'the reason says why the transfer did not happen');
  t.deepEqual(alive(end), ['transferee', 'recall']);
});

test('recall: no answer from the target, then the recall fails, pauses and answers on the second attempt', (t) => {
  const end = drive(t, partialWithRecall(2), [
    { input: noAnswer, phase: 'recalling', actions: [kill('target', 'NO_ANSWER'), recall(1)] },
    { input: recallFailed('USER_BUSY'), phase: 'recalling', actions: [cancelTimer, pause] },
    // the pause runs; a stray timeout meanwhile changes nothing
    { input: noAnswer, phase: 'recalling', actions: [] },
    { input: recallDue, phase: 'recalling', actions: [recall(2)] },
    { input: recallAnswered, phase: 'connecting', actions: [cancelTimer, bridge('transferee', 'recall')] },
    { input: bridged('transferee', 'recall'), phase: 'restoring', actions: [restore('transferee', 'recall')] },
  ]);
  t.is(end.outcome, 'recalled');
  t.is(end.reason, 'NO_ANSWER');
});

test('recall: every attempt unanswered → the transferee is released with the target’s cause', (t) => {
  const end = drive(t, partialWithRecall(2), [
    { input: targetFailed('CALL_REJECTED'), phase: 'recalling', actions: [cancelTimer, recall(1)] },
    { input: noAnswer, phase: 'recalling', actions: [kill('recall', 'NO_ANSWER'), pause] },
    { input: recallDue, phase: 'recalling', actions: [recall(2)] },
    { input: noAnswer, phase: 'ended', actions: [kill('recall', 'NO_ANSWER'), kill('transferee', 'CALL_REJECTED')] },
  ]);
  t.is(end.outcome, 'partial_failed');
  t.is(end.reason, 'CALL_REJECTED');
  t.deepEqual(alive(end), []);
});

test('recall: the transferee hangs up while the transferor is called back → the recall is cancelled', (t) => {
  const end = drive(t, partialWithRecall(), [
    { input: targetFailed('USER_BUSY'), phase: 'recalling', actions: [cancelTimer, recall(1)] },
    {
      input: hangup('transferee'),
      phase: 'ended',
      actions: [cancelTimer, kill('recall', 'ORIGINATOR_CANCEL')],
    },
  ]);
  t.is(end.outcome, 'transferor_and_transferee_left');
  t.deepEqual(alive(end), []);
});

test('recall: a hangup of the unanswered recall leg is a recall failure; a cancel changes nothing', (t) => {
  const s = run(partialWithRecall(1), [targetFailed('USER_BUSY')]);
  t.deepEqual(step(s, cancel('api')).actions, []);
  const r = step(s, hangup('recall', 'CALL_REJECTED'));
  t.is(r.state.outcome, 'partial_failed');
  t.deepEqual(r.actions, [cancelTimer, kill('transferee', 'USER_BUSY')]);
});

test('recall: the recalled transferor hangs up before the bridge is confirmed → the transferee is released', (t) => {
  const s = run(partialWithRecall(), [targetFailed('USER_BUSY'), recallAnswered]);
  const r = step(s, hangup('recall'));
  t.is(r.state.outcome, 'partial_failed');
  t.deepEqual(r.actions, [kill('transferee', 'USER_BUSY')]);
});

test('recall: a completion bridge whose target dies also recalls the transferor', (t) => {
  const s = run(partialWithRecall(), [answered]);
  t.is(s.phase, 'connecting');
  const r = step(s, hangup('target', 'NORMAL_CLEARING'));
  t.is(r.state.phase, 'recalling');
  t.deepEqual(r.actions, [recall(1)]);
});

test('recall policy does not change an attended transfer whose target fails: transferor ↔ transferee', (t) => {
  const s = initialState('ringing', false, recallPolicy(2));
  const r = step(s, targetFailed('USER_BUSY'));
  t.deepEqual(r.actions, [cancelTimer, bridge('transferor', 'transferee')]);
});

// --- reconciliation: audit of a running transfer, resumption of one whose workflow was ended by hand --------------------

test('audit: the switch agrees → no inputs', (t) => {
  const s = consulting();
  const seen: Seen = { transferor: up('target'), transferee: up(), target: up('transferor') };
  t.deepEqual(auditInputs(s, seen), []);
});

test('audit: a leg gone while nobody listened is its hangup; an unanswered target gone is its failure', (t) => {
  const s = ringing();
  const inputs = auditInputs(s, { transferor: up(), transferee: down, target: down });
  t.deepEqual(inputs, [hangup('transferee'), hangup('target')]);
  // fed to the machine: the target failed and the transferee is gone, so the transferor's call is over
  const end = inputs.reduce((st, i) => step(st, i).state, s);
  t.is(end.outcome, 'target_failed');
});

test('audit: an answer missed is an answer (the consultation is then bridged)', (t) => {
  const inputs = auditInputs(ringing(), { transferor: up(), transferee: up(), target: up(undefined, true) });
  t.deepEqual(inputs, [answered]);
});

test('audit: a consultation bridge that is gone is rebuilt', (t) => {
  const s = consulting();
  const inputs = auditInputs(s, { transferor: up(), transferee: up(), target: up() });
  t.deepEqual(inputs, [{ type: 'consultation_lost' }]);
  const r = step(s, inputs[0]!);
  t.is(r.state.phase, 'connecting');
  t.deepEqual(r.actions, [bridge('transferor', 'target')]);
});

test('audit: while connecting, the bridge is checked at once rather than at its deadline', (t) => {
  const s = run(ringing(), [answered]);
  const inputs = auditInputs(s, { transferor: up('target'), transferee: up(), target: up('transferor') });
  t.deepEqual(inputs, [deadline]);
  t.deepEqual(step(s, deadline).actions, [check('transferor', 'target')]);
});

test('audit: a missed answer of the recall leg', (t) => {
  const s = run(initialState('ringing', false, { partialFailure: 'recall', recallAttempts: 1 }), [
    hangup('transferor'),
    targetFailed('USER_BUSY'),
  ]);
  t.deepEqual(auditInputs(s, { transferee: up(), recall: up(undefined, true) }), [recallAnswered]);
});

test('resume: consultation under way → consulting again, nothing sent', (t) => {
  const r = resume(
    { transferor: up('target'), transferee: up(), target: up('transferor') },
    false,
    HANG_UP_ON_PARTIAL_FAILURE,
  );
  t.is(r.state.phase, 'consulting');
  t.deepEqual(r.actions, []);
});

test('resume: target still ringing → ringing (or partial without the transferor), nothing sent', (t) => {
  const seen = (transferorUp: boolean): Seen => ({
    transferor: transferorUp ? up() : down,
    transferee: up(),
    target: up(undefined, false),
  });
  t.is(resume(seen(true), false, HANG_UP_ON_PARTIAL_FAILURE).state.phase, 'ringing');
  const partial = resume(seen(false), false, HANG_UP_ON_PARTIAL_FAILURE);
  t.is(partial.state.phase, 'partial');
  t.deepEqual(partial.actions, []);
});

test('resume: target answered but not bridged → the bridge the phase calls for', (t) => {
  const attended = resume({ transferor: up(), transferee: up(), target: up() }, false, HANG_UP_ON_PARTIAL_FAILURE);
  t.deepEqual(attended.actions, [cancelTimer, bridge('transferor', 'target')]);
  const partial = resume({ transferor: down, transferee: up(), target: up() }, false, HANG_UP_ON_PARTIAL_FAILURE);
  t.deepEqual(partial.actions, [cancelTimer, bridge('transferee', 'target')]);
});

test('resume: target gone → transferor and transferee reconnected; in partial, the policy applies', (t) => {
  const attended = resume({ transferor: up(), transferee: up(), target: down }, false, HANG_UP_ON_PARTIAL_FAILURE);
  t.deepEqual(attended.actions, [cancelTimer, bridge('transferor', 'transferee')]);
  const partial = resume({ transferor: down, transferee: up(), target: down }, false, HANG_UP_ON_PARTIAL_FAILURE);
  t.is(partial.state.outcome, 'partial_failed');
  t.deepEqual(partial.actions, [cancelTimer, kill('transferee', 'NORMAL_CLEARING')]);
  const recalled = resume({ transferor: down, transferee: up(), target: down }, false, {
    partialFailure: 'recall',
    recallAttempts: 1,
  });
  t.is(recalled.state.phase, 'recalling');
});

test('resume: the completing or the giving-back bridge is already up → ended, settings restored, strays released', (t) => {
  const completed = resume(
    { transferor: down, transferee: up('target'), target: up('transferee') },
    false,
    HANG_UP_ON_PARTIAL_FAILURE,
  );
  t.is(completed.state.outcome, 'completed_partial');
  t.deepEqual(completed.actions, [restore('transferee', 'target')]);
  const takenBack = resume(
    { transferor: up('transferee'), transferee: up('transferor'), target: up(undefined, false) },
    false,
    HANG_UP_ON_PARTIAL_FAILURE,
  );
  t.is(takenBack.state.outcome, 'taken_back');
  t.deepEqual(takenBack.actions, [restore('transferor', 'transferee'), kill('target', 'NORMAL_CLEARING')]);
});

test('resume: nobody left but the target → it is released', (t) => {
  const r = resume(
    { transferor: down, transferee: down, target: up(undefined, false) },
    false,
    HANG_UP_ON_PARTIAL_FAILURE,
  );
  t.is(r.state.phase, 'ended');
  t.deepEqual(r.actions, [cancelTimer, kill('target', 'ORIGINATOR_CANCEL')]);
});
