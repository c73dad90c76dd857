// resolveTransfer against a fake switch view: who the transferor is (the caller ID the target sees), and how the
// transferor is reached again when a partial transfer fails under PARTIAL_FAILURE=recall.
import test from 'ava';
import {
  createPolicyActivities,
  recallNumber,
  type PolicyStore,
  type ResolvedTransfer,
} from '../../activities/policy.ts';
import type { HoldPlan } from '../../contracts/hold-plan.ts';
import type { HoldResult, LegState } from '../../activities/types.ts';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ACTIVE_TRANSFER_VARIABLE, transferWorkflowId } from '../../contracts/ids.ts';
import { loadConfig } from '../../config/index.ts';
import type { ApplicationFailure } from '@temporalio/common';
import type { Metaflows } from '../../contracts/metaflows.ts';
import type { TransferAsk } from '../../contracts/messages.ts';

const store: PolicyStore = {
  effectiveMetaflows: async () => undefined,
  accountDefaults: async () => undefined,
  mediaUrl: async () => undefined,
  isDescendantOrSelf: async (ancestor, account) => ancestor === account,
  claimTransferPair: async () => true,
  transferPairClaim: async () => undefined,
  releaseTransferPair: async () => false,
};

// As captured (01-bridge, uuid_dump of an answered outbound loopback leg): its Caller-* are flipped, its callee ID is the
// peer's, and the caller ID it was created with survives as Caller-Orig-*.
const aliceOutbound: LegState = {
  uuid: 'alice',
  exists: true,
  answered: true,
  bridgeUuid: 'bob',
  direction: 'outbound',
  callerIdName: 'Outbound Call',
  callerIdNumber: 'default',
  origCallerIdName: 'Alice',
  origCallerIdNumber: '1001',
  calleeIdName: 'Bob',
  calleeIdNumber: '1002',
  destinationNumber: '2600',
  vars: {},
};
const bobInbound: LegState = {
  uuid: 'bob',
  exists: true,
  answered: true,
  bridgeUuid: 'alice',
  direction: 'inbound',
  callerIdName: 'Bob',
  callerIdNumber: '1002',
  destinationNumber: '1001',
  vars: {},
};

/** A stand-in switch, store and hooks for one test; whatever is left out takes the default said beside it. */
interface Stand {
  /** The configuration's environment; none by default. */
  env?: Record<string, string>;
  /** The legs the switch knows; uuid_dump of any other answers that it does not exist. */
  legs: LegState[];
  /** `store` above by default. */
  policyStore?: PolicyStore;
  /** Gets [leg, music] for each hold with music, [leg, 'marked'] and [leg, 'started'] for the call workflows touched. */
  held?: [string, string | undefined][];
  /** Gets each hold plan. */
  holds?: HoldPlan[];
  /** The hold's first command fails. */
  holdFails?: boolean;
  /** Starts a leg's call workflow (on demand); by default records [leg, 'started'] in `held`. */
  ensure?: (leg: LegState) => Promise<void>;
  /** Runs before the switch answers a uuid_dump. */
  beforeDump?: (uuid: string) => Promise<void>;
  /** Whether this node is draining; by default the activities are given no way to ask. */
  draining?: () => Promise<boolean>;
}

function activities({
  env = {},
  legs,
  policyStore = store,
  held = [],
  holds = [],
  holdFails = false,
  ensure,
  beforeDump,
  draining,
}: Stand) {
  const byUuid = new Map(legs.map((l) => [l.uuid, l]));
  const legState = async (uuid: string): Promise<LegState> => {
    await beforeDump?.(uuid);
    return byUuid.get(uuid) ?? { uuid, exists: false };
  };
  const holdWithMusic = async (holder: string, moh?: string) => {
    held.push([holder, moh]);
    return '+OK Success\n';
  };
  const markCallWorkflows = async (marked: string[]) =>
    void held.push(...marked.map((leg) => [leg, 'marked'] as [string, string]));
  const ensureCallWorkflow = ensure ?? (async (leg: LegState) => void held.push([leg.uuid, 'started']));
  const holdForTransfer = async (plan: HoldPlan): Promise<HoldResult> => {
    holds.push(plan);
    if (holdFails) throw new Error('uuid_park: -ERR no reply');
    return { saved: {}, alive: { transferor: true, transferee: true } };
  };
  return createPolicyActivities(
    { legState, holdWithMusic, markCallWorkflows, holdForTransfer, giveBackPair: async () => 'not_held' as const },
    policyStore,
    loadConfig(env),
    { ensureCallWorkflow, ...(draining ? { draining } : {}) },
  );
}

test('an outbound transferor is presented to the target by the caller ID it was created with, not the flipped one', async (t) => {
  const p = activities({ legs: [aliceOutbound, bobInbound] });
  const resolved = await p.resolveTransfer('alice', { target: '2600' });
  t.is(resolved.callerIdNumber, '1001');
  t.is(resolved.callerIdName, 'Alice');
  t.is(resolved.transferee, 'bob');
});

test('an inbound transferor is presented by its own caller ID', async (t) => {
  const p = activities({ legs: [aliceOutbound, bobInbound] });
  const resolved = await p.resolveTransfer('bob', { target: '2600' });
  t.is(resolved.callerIdNumber, '1002');
  t.is(resolved.callerIdName, 'Bob');
});

test('PARTIAL_FAILURE=hangup (default): no recall plan', async (t) => {
  const p = activities({ legs: [aliceOutbound, bobInbound] });
  t.is((await p.resolveTransfer('alice', { target: '2600' })).recall, undefined);
});

test('PARTIAL_FAILURE=recall: the transferor is dialled back where it was reached, showing the transferee', async (t) => {
  const p = activities({
    env: { PARTIAL_FAILURE: 'recall', RECALL_ATTEMPTS: '3', RECALL_DELAY_MS: '700', RECALL_RING_TIMEOUT_S: '15' },
    legs: [aliceOutbound, bobInbound],
  });
  const { recall } = await p.resolveTransfer('alice', { target: '2600' });
  t.deepEqual(recall, {
    number: '2600',
    dialString: 'loopback/2600/default',
    attempts: 3,
    delayMs: 700,
    ringTimeoutS: 15,
    callerIdName: 'Bob',
    callerIdNumber: '1002',
  });
  // an inbound transferor is called back on the number it called from
  const fromBob = await p.resolveTransfer('bob', { target: '2600' });
  t.is(fromBob.recall?.number, '1002');
  t.is(fromBob.recall?.callerIdNumber, '1001');
});

test('recallNumber: the channel variable wins when dialable; an unsafe one falls back', (t) => {
  const name = 'handoff_recall_number';
  t.is(recallNumber({ ...aliceOutbound, vars: { [name]: '+15551234' } }, name), '+15551234');
  t.is(recallNumber({ ...aliceOutbound, vars: { [name]: '2600 &park()' } }, name), '2600');
  t.is(recallNumber({ ...bobInbound, callerIdNumber: 'anonymous caller' }, name), undefined);
});

test('PARTIAL_FAILURE=recall without a dialable number: no recall plan (the transferee is released instead)', async (t) => {
  const p = activities({
    env: { PARTIAL_FAILURE: 'recall' },
    legs: [aliceOutbound, { ...bobInbound, callerIdNumber: 'x y' }],
  });
  t.is((await p.resolveTransfer('bob', { target: '2600' })).recall, undefined);
});

test('configuration: PARTIAL_FAILURE accepts only hangup or recall', (t) => {
  t.throws(() => loadConfig({ PARTIAL_FAILURE: 'callback' }), { message: /PARTIAL_FAILURE/ });
  t.throws(() => loadConfig({ RECALL_ATTEMPTS: '0' }), { message: /RECALL_ATTEMPTS/ });
});

test('a transfer may ask for its own partial-failure policy, over PARTIAL_FAILURE', async (t) => {
  const hangupByDefault = activities({ legs: [aliceOutbound, bobInbound] });
  t.is(
    (await hangupByDefault.resolveTransfer('alice', { target: '2600', partialFailure: 'recall' })).recall?.number,
    '2600',
  );
  const recallByDefault = activities({ env: { PARTIAL_FAILURE: 'recall' }, legs: [aliceOutbound, bobInbound] });
  t.is(
    (await recallByDefault.resolveTransfer('alice', { target: '2600', partialFailure: 'hangup' })).recall,
    undefined,
  );
});

test('loadLegPolicy: the collector gets only the patterns RE2 runs within the limits, and the limits themselves', async (t) => {
  const metaflows: Metaflows = {
    binding_digit: '*',
    numbers: { '1': { module: 'resume' }, '123456789': { module: 'hangup' } },
    patterns: { '2(\\d+)': { module: 'transfer' }, '(?=1)1': { module: 'hangup' }, '\\d{999}': { module: 'hangup' } },
  };
  const p = activities({
    env: { DEFAULT_ACCOUNT_ID: 'acc', FEATURE_CODE_MAX_DIGITS: '8' },
    legs: [bobInbound],
    policyStore: {
      ...store,
      effectiveMetaflows: async () => metaflows,
    },
  });
  const policy = await p.loadLegPolicy('bob');
  t.deepEqual(policy.sets[0]?.metaflows, {
    binding_digit: '*',
    numbers: { '1': { module: 'resume' } },
    patterns: { '2(\\d+)': { module: 'transfer' } },
  });
  t.is(policy.limits?.maxDigits, 8);
  t.is(policy.limits?.maxPatternLength, 128);
});

// ---------------------------------------------------------------------------------------------------------------
// Calls between two accounts: a metaflow acts only on legs of its own account tree

const ACCOUNT = 'ecallmgr_Account-ID';
/** reseller → customer; `other` is a tenant of its own. */
const parents: Record<string, string> = { customer: 'reseller' };
const tree: PolicyStore = {
  ...store,
  isDescendantOrSelf: async (ancestor, account) => {
    for (let a: string | undefined = account; a; a = parents[a]) if (a === ancestor) return true;
    return false;
  },
  effectiveMetaflows: async (account) =>
    ({
      binding_digit: '*',
      listen_on: 'peer',
      numbers: { '7': { module: 'transfer', data: { target: '2600' } } },
      patterns: { [`${account}(\\d+)`]: { module: 'transfer' } },
    }) as Metaflows,
  mediaUrl: async (account, id) => (account === 'reseller' && id === 'hold' ? 'local_stream://reseller' : undefined),
};

function legOf(uuid: string, peer: string, account: string): LegState {
  return {
    ...bobInbound,
    uuid,
    bridgeUuid: peer,
    callerIdNumber: uuid,
    vars: { [ACCOUNT]: account, ecallmgr_Realm: `${account}.example.com` },
  };
}

test("loadLegPolicy: another tenant's listen_on peer metaflows do not listen to my leg", async (t) => {
  const p = activities({ legs: [legOf('a', 'b', 'other'), legOf('b', 'a', 'reseller')], policyStore: tree });
  const policy = await p.loadLegPolicy('a');
  t.deepEqual(
    policy.sets.map((s) => s.owner),
    [],
  );
  t.is(policy.peer, 'b');
});

test('loadLegPolicy: the listen_on peer metaflows of my account or an account above it do listen', async (t) => {
  for (const [mine, theirs] of [
    ['customer', 'reseller'],
    ['reseller', 'reseller'],
  ]) {
    const p = activities({ legs: [legOf('a', 'b', mine!), legOf('b', 'a', theirs!)], policyStore: tree });
    const sets = (await p.loadLegPolicy('a')).sets;
    t.deepEqual(
      sets.map((s) => [s.owner, s.ownerLeg]),
      [['peer', 'b']],
      `${mine} ← ${theirs}`,
    );
  }
  // ... but a parent's leg does not get its child's peer codes.
  const p = activities({ legs: [legOf('a', 'b', 'reseller'), legOf('b', 'a', 'customer')], policyStore: tree });
  t.deepEqual((await p.loadLegPolicy('a')).sets, []);
});

test("resolveTransfer: a peer's feature code makes the transfer that account's (variables, media)", async (t) => {
  const p = activities({ legs: [legOf('a', 'b', 'customer'), legOf('b', 'a', 'reseller')], policyStore: tree });
  const resolved = await p.resolveTransfer('a', { target: '2600', moh: 'hold', metaflowOwnerLeg: 'b' });
  t.is(resolved.vars[ACCOUNT], 'reseller');
  t.is(resolved.vars['ecallmgr_Realm'], 'reseller.example.com');
  t.is(resolved.moh, 'local_stream://reseller');
  // The call is still the transferor's.
  t.is(resolved.accountId, 'customer');
  // Its own feature code: the transferor's account.
  t.is((await p.resolveTransfer('a', { target: '2600' })).vars[ACCOUNT], 'customer');
});

test("resolveTransfer: a peer's feature code from outside the tree, or from a leg no longer on the call, is refused", async (t) => {
  const p = activities({
    legs: [legOf('a', 'b', 'other'), legOf('b', 'a', 'reseller'), legOf('c', 'x', 'other')],
    policyStore: tree,
  });
  const refusal = async (ask: TransferAsk) => {
    const err = await t.throwsAsync(p.resolveTransfer('a', ask));
    return (err as ApplicationFailure).details?.[0];
  };
  t.is(await refusal({ target: '2600', metaflowOwnerLeg: 'b' }), 'not_bridged');
  t.is(await refusal({ target: '2600', metaflowOwnerLeg: 'c' }), 'not_bridged');
});

test('resolveTransfer: a bad target, a bad takeback code and a bad stream are each refused with their own reason', async (t) => {
  const p = activities({ legs: [aliceOutbound, bobInbound] });
  const refusal = async (ask: TransferAsk) => {
    const err = await t.throwsAsync(p.resolveTransfer('alice', ask));
    return (err as ApplicationFailure).details?.[0];
  };
  t.is(await refusal({ target: '26 00' }), 'invalid_target');
  t.is(await refusal({ target: '2600', takebackDtmf: '*1x' }), 'invalid_takeback_dtmf');
  t.is(await refusal({ target: '2600', ringback: 'tone_stream://%(1,2)' }), 'invalid_media');
  t.is(await refusal({ target: '2600', moh: 'local_stream://../moh' }), 'invalid_media');
});

test('resolveTransfer: tones and streams are played as the switch wants them', async (t) => {
  const p = activities({ legs: [aliceOutbound, bobInbound] });
  const resolved = await p.resolveTransfer('alice', {
    target: '2600',
    ringback: '%(1000,2000,425)',
    moh: 'tone_stream://%(500,500,440)',
  });
  t.is(resolved.ringback, 'tone_stream://%(1000,2000,425);loops=-1');
  t.is(resolved.moh, 'tone_stream://%(500,500,440);loops=-1');
  const local = await p.resolveTransfer('alice', { target: '2600', moh: 'local_stream://moh' });
  t.is(local.moh, 'local_stream://moh');
});

test('resolveTransfer: a Kazoo media ID no media record has plays through MEDIA_URL_TEMPLATE, else the default', async (t) => {
  const account = '4b8c5a2f3e1d4c6b9a8f7e6d5c4b3a21';
  const withDefaults: PolicyStore = {
    ...store,
    accountDefaults: async () => ({ mohMediaId: 'house-music' }),
    mediaUrl: async (_account, id) => (id === 'house-music' ? 'local_stream://house' : undefined),
  };
  const templated = activities({
    env: { DEFAULT_ACCOUNT_ID: account },
    legs: [aliceOutbound, bobInbound],
    policyStore: withDefaults,
  });
  const kazoo = await templated.resolveTransfer('alice', { target: '2600', moh: 'f0e1d2c3b4a5968778695a4b3c2d1e0f' });
  t.is(
    kazoo.moh,
    'http_cache://http://127.0.0.1:5984/account%2F4b%2F8c%2F5a2f3e1d4c6b9a8f7e6d5c4b3a21/f0e1d2c3b4a5968778695a4b3c2d1e0f/f0e1d2c3b4a5968778695a4b3c2d1e0f',
  );
  const off = activities({
    env: { DEFAULT_ACCOUNT_ID: account, MEDIA_URL_TEMPLATE: '' },
    legs: [aliceOutbound, bobInbound],
    policyStore: withDefaults,
  });
  // Found nowhere: the account's default music, not a refusal.
  t.is((await off.resolveTransfer('alice', { target: '2600', moh: 'gone' })).moh, 'local_stream://house');
  const bare = activities({
    env: { DEFAULT_ACCOUNT_ID: account, MEDIA_URL_TEMPLATE: '' },
    legs: [aliceOutbound, bobInbound],
  });
  t.is((await bare.resolveTransfer('alice', { target: '2600', moh: 'gone' })).moh, 'local_stream://moh');
  t.is(
    (await bare.resolveTransfer('alice', { target: '2600', ringback: 'gone' })).ringback,
    'tone_stream://%(2000,4000,440,480);loops=-1',
  );
});

test("hold: the peer hears the metaflow's music, else the holder's account's, else the switch's own", async (t) => {
  const alice = { ...aliceOutbound, vars: { 'ecallmgr_Account-ID': 'acct' } };
  const media: Record<string, string> = { 'moh-media': 'http_cache://media/moh.wav', 'flow-media': 'http://x/f.wav' };
  const withMoh: PolicyStore = {
    ...store,
    accountDefaults: async (id) => (id === 'acct' ? { mohMediaId: 'moh-media' } : undefined),
    mediaUrl: async (accountId, id) => (accountId === 'acct' ? media[id] : undefined),
  };
  const held: [string, string | undefined][] = [];
  const p = activities({ env: { MEDIA_URL_TEMPLATE: '' }, legs: [alice, bobInbound], policyStore: withMoh, held });
  await p.hold('alice');
  await p.hold('alice', 'flow-media');
  await p.hold('alice', 'local_stream://office');
  await p.hold('alice', 'nobody-has-this');
  await p.hold('alice', 'not a media');
  const none = activities({ env: { MEDIA_URL_TEMPLATE: '' }, legs: [aliceOutbound, bobInbound], held });
  await none.hold('alice');
  t.deepEqual(held, [
    ['alice', 'http_cache://media/moh.wav'],
    ['alice', 'http://x/f.wav'],
    ['alice', 'local_stream://office'],
    ['alice', 'http_cache://media/moh.wav'],
    ['alice', 'http_cache://media/moh.wav'],
    ['alice', undefined],
  ]);
});

test('a transfer makes sure the transferee has a call workflow; on demand it also marks both parties', async (t) => {
  const seen: [string, string | undefined][] = [];
  await activities({
    env: { CALL_WORKFLOWS: 'on_demand' },
    legs: [aliceOutbound, bobInbound],
    held: seen,
  }).resolveTransfer('alice', {
    target: '2600',
  });
  t.deepEqual(seen, [
    ['alice', 'marked'],
    ['bob', 'marked'],
    ['bob', 'started'],
  ]);
  const perCall: [string, string | undefined][] = [];
  await activities({ legs: [aliceOutbound, bobInbound], held: perCall }).resolveTransfer('alice', { target: '2600' });
  t.deepEqual(perCall, [['bob', 'started']]);
});

/** resolveTransfer run as the activity it is, on attempt `attempt`. */
function resolveAsActivity(
  p: ReturnType<typeof activities>,
  attempt: number,
  ...args: Parameters<ReturnType<typeof activities>['resolveTransfer']>
) {
  return new MockActivityEnvironment({ attempt }).run(p.resolveTransfer, ...args) as Promise<ResolvedTransfer>;
}

test('resolveTransfer with a hold asked: the parties are held for the transfer the call workflow will start', async (t) => {
  const holds: HoldPlan[] = [];
  const p = activities({ legs: [aliceOutbound, bobInbound], holds });
  const resolved = await resolveAsActivity(p, 1, 'alice', { target: '2600' }, { startedBy: 'dtmf', requestedAt: 5 });
  t.deepEqual(resolved.onHold, { saved: {}, alive: { transferor: true, transferee: true } });
  t.is(holds.length, 1);
  t.like(holds[0], {
    transferId: transferWorkflowId('alice', 'bob'),
    transferor: 'alice',
    transferee: 'bob',
    moh: resolved.moh,
    ringback: resolved.ringback,
    releaseTransferor: false,
    type: 'attended',
    startedBy: 'dtmf',
    requestedAt: 5,
  });
  // Not asked (a workflow of an earlier build): nothing held here.
  const alone = await resolveAsActivity(p, 1, 'alice', { target: '2600' });
  t.is(alone.onHold, undefined);
  t.is(holds.length, 1);
});

test("resolveTransfer with a hold asked: a blind transfer's hold (it hangs the transferor up) and a failed hold are the transfer's", async (t) => {
  const holds: HoldPlan[] = [];
  const p = activities({ legs: [aliceOutbound, bobInbound], holds });
  const blind = await resolveAsActivity(p, 1, 'alice', { target: '2600', type: 'blind' }, { startedBy: 'api' });
  t.is(blind.onHold, undefined);
  t.is(holds.length, 0);
  const failing = activities({ legs: [aliceOutbound, bobInbound], holds, holdFails: true });
  const resolved = await resolveAsActivity(failing, 1, 'alice', { target: '2600' }, { startedBy: 'dtmf' });
  t.is(holds.length, 1, 'the hold was tried');
  t.is(resolved.onHold, undefined, 'the request is not refused for it: the transfer holds them itself');
  t.is(resolved.transferee, 'bob');
});

test("resolveTransfer with a hold asked: a retry after the hold finds the parties parked and takes the transferee from the transferor's mark", async (t) => {
  const id = transferWorkflowId('alice', 'bob');
  // Parked by the earlier attempt: neither names the other as its bridge any more; both carry the transfer's mark.
  const parkedAlice: LegState = { ...aliceOutbound, bridgeUuid: undefined, vars: { [ACTIVE_TRANSFER_VARIABLE]: id } };
  const parkedBob: LegState = { ...bobInbound, bridgeUuid: undefined, vars: { [ACTIVE_TRANSFER_VARIABLE]: id } };
  const holds: HoldPlan[] = [];
  const p = activities({ legs: [parkedAlice, parkedBob], holds });
  const again = await resolveAsActivity(p, 2, 'alice', { target: '2600' }, { startedBy: 'dtmf' });
  t.is(again.transferee, 'bob');
  t.is(holds[0]?.transferId, id);
  // The transferee hung up since the hold: the transfer still starts, and hears of it (its hold finds the leg gone).
  const gone = activities({ legs: [parkedAlice] });
  t.is((await resolveAsActivity(gone, 2, 'alice', { target: '2600' }, { startedBy: 'dtmf' })).transferee, 'bob');
  // A first attempt never takes a mark for its own: it may be another transfer's (the peer's, of the same two legs).
  const first = await t.throwsAsync(resolveAsActivity(p, 1, 'alice', { target: '2600' }, { startedBy: 'dtmf' }));
  t.is((first as ApplicationFailure).details?.[0], 'not_bridged');
  // Nor does a retry take a mark of a transfer the transferor is not in.
  const stranger: LegState = {
    ...parkedAlice,
    vars: { [ACTIVE_TRANSFER_VARIABLE]: transferWorkflowId('bob', 'carol') },
  };
  const q = activities({ legs: [stranger, parkedBob] });
  const other = await t.throwsAsync(resolveAsActivity(q, 2, 'alice', { target: '2600' }, { startedBy: 'dtmf' }));
  t.is((other as ApplicationFailure).details?.[0], 'not_bridged');
});

test("resolveTransfer with a hold asked: the transferee's music does not wait for Temporal's answer on its call workflow; the transfer's start does", async (t) => {
  const order: string[] = [];
  const holds: HoldPlan[] = [];
  let answer = () => {};
  const answered = new Promise<void>((resolve) => (answer = resolve));
  // Temporal answers once the hold is out: asked first and waited for, there would be no hold yet.
  const ensure = async (leg: LegState) => {
    order.push(`asked about ${leg.uuid}`);
    await answered;
    order.push('answered');
  };
  const p = activities({ legs: [aliceOutbound, bobInbound], holds, ensure });
  const held = resolveAsActivity(p, 1, 'alice', { target: '2600' }, { startedBy: 'dtmf' });
  await new Promise((resolve) => setTimeout(resolve, 20));
  order.push(`held ${holds.length}`);
  answer();
  const resolved = await held;
  t.deepEqual(order, ['asked about bob', 'held 1', 'answered']);
  t.truthy(resolved.onHold);
  // Temporal's answer failed: the resolve fails with it (its retry finds the parties held), after the hold went out.
  const failing = activities({
    legs: [aliceOutbound, bobInbound],
    holds,
    ensure: async () => {
      throw new Error('DescribeWorkflowExecution: UNAVAILABLE');
    },
  });
  const err = await t.throwsAsync(resolveAsActivity(failing, 1, 'alice', { target: '2600' }, { startedBy: 'dtmf' }));
  t.regex(String(err?.message), /UNAVAILABLE/);
  t.is(holds.length, 2, 'the hold went out before the failure was known');
});

test('resolveTransfer with a hold asked: the pair claimed by the other party is refused before anything moves', async (t) => {
  const holds: HoldPlan[] = [];
  const claims: [string, string][] = [];
  const taken: PolicyStore = {
    ...store,
    claimTransferPair: async (pair, by) => (claims.push([pair, by]), by === 'bob'),
  };
  const p = activities({ legs: [aliceOutbound, bobInbound], policyStore: taken, holds });
  const err = await t.throwsAsync(resolveAsActivity(p, 1, 'alice', { target: '2600' }, { startedBy: 'dtmf' }));
  t.is((err as ApplicationFailure).details?.[0], 'transfer_in_progress');
  t.deepEqual(claims, [[transferWorkflowId('alice', 'bob'), 'alice']]);
  t.is(holds.length, 0, 'nobody was put on hold');
  // Bob holds the claim: his transfer goes on.
  t.truthy((await resolveAsActivity(p, 1, 'bob', { target: '2600' }, { startedBy: 'dtmf' })).onHold);
  // No hold asked (an earlier build's workflow): no claim, as before.
  await resolveAsActivity(p, 1, 'alice', { target: '2600' });
  t.is(claims.length, 2);
});

/** Two reads that meet: each waits until the other has been asked too, or `ms` (run one after the other, they cannot). */
function meeting(ms = 1000) {
  let arrived = 0;
  let release = () => {};
  const both = new Promise<void>((resolve) => (release = resolve));
  return async (): Promise<boolean> => {
    if (++arrived === 2) release();
    let timer: NodeJS.Timeout | undefined;
    const alone = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
    const met = await Promise.race([both.then(() => true), alone]);
    clearTimeout(timer);
    return met;
  };
}

test("resolveTransfer: the store's reads run beside the switch's and beside each other; refusals keep their order", async (t) => {
  const account = '4b8c5a2f3e1d4c6b9a8f7e6d5c4b3a21';
  const met: Record<string, boolean> = {};
  const drainAndDump = meeting();
  const defaultsAndPeer = meeting();
  const mohAndRingback = meeting();
  const slowStore: PolicyStore = {
    ...store,
    accountDefaults: async () => {
      met["the account's defaults beside the peer's dump"] = await defaultsAndPeer();
      return { mohMediaId: 'house-music', ringback: 'house-ring' };
    },
    mediaUrl: async (_account, id) => {
      met[`${id} looked up beside the other`] = await mohAndRingback();
      return `local_stream://${id}`;
    },
  };
  const p = activities({
    env: { DEFAULT_ACCOUNT_ID: account },
    legs: [aliceOutbound, bobInbound],
    policyStore: slowStore,
    beforeDump: async (uuid) => {
      if (uuid === 'alice') met['the transferor dumped beside the drain read'] = await drainAndDump();
      if (uuid === 'bob') met["the peer dumped beside the account's defaults"] = await defaultsAndPeer();
    },
    draining: async () => ((met['the drain read beside the dump'] = await drainAndDump()), false),
  });
  const resolved = await p.resolveTransfer('alice', { target: '2600' });
  t.is(resolved.moh, 'local_stream://house-music');
  t.is(resolved.ringback, 'local_stream://house-ring');
  t.deepEqual(met, {
    'the drain read beside the dump': true,
    'the transferor dumped beside the drain read': true,
    "the account's defaults beside the peer's dump": true,
    "the peer dumped beside the account's defaults": true,
    'house-music looked up beside the other': true,
    'house-ring looked up beside the other': true,
  });
  // Both refused: the music's refusal, as when the ringback was looked up only after it.
  const err = await t.throwsAsync(
    activities({ legs: [aliceOutbound, bobInbound] }).resolveTransfer('alice', {
      target: '2600',
      moh: 'local_stream://../moh',
      ringback: 'tone_stream://%(1,2)',
    }),
  );
  t.regex(String(err?.message), /^moh: /);
});
