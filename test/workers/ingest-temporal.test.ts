// The ingest end to end: simulator (or the scripted server) → ingest → a real Temporal server → recording workflows.
// Runs when TEMPORAL_ADDRESS is set (`npm test` starts a dev server and sets it).
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { openStore } from '../../store/index.ts';
import { callWorkflowId } from '../../contracts/ids.ts';
import { bridgedPeer, type ChannelEvent } from '../../contracts/messages.ts';
import { NODE } from '../../contracts/search-attributes.ts';
import { EslConnection, EslNode } from '../../workers/esl/index.ts';
import { startIngest, type Ingest } from '../../workers/ingest/index.ts';
import { startFakeEsl } from './fake-esl-server.ts';
import type { ExecutionContext } from 'ava';
import {
  closeWhenDone,
  eventually,
  ingestTests,
  names,
  nodeName,
  simulatedNode,
  type IngestTestContext,
} from './ingest-harness.ts';
import { testLogger as logger } from './silent-logger.ts';
import { finishSignal, recordedQuery, type Recorded } from './workflows/recorders.ts';

const itest = ingestTests();

function recorded(client: Client, workflowId: string): Promise<Recorded> {
  return client.workflow.getHandle(workflowId).query(recordedQuery);
}

async function eventsOf(
  client: Client,
  callId: string,
  until: (events: ChannelEvent[]) => boolean,
): Promise<ChannelEvent[]> {
  return eventually(`events of ${callId}`, async () => {
    const r = await recorded(client, callWorkflowId(callId));
    return until(r.events) ? r.events : undefined;
  });
}

const has = (name: ChannelEvent['name'], digit?: string) => (events: ChannelEvent[]) =>
  events.some((e) => e.name === name && (digit === undefined || e.digit === digit));
const bridgedTo = (peer: string) => (events: ChannelEvent[]) =>
  events.some((e) => e.name === 'CHANNEL_BRIDGE' && bridgedPeer(e) === peer);
const unbridgedFrom = (peer: string) => (events: ChannelEvent[]) =>
  events.some((e) => e.name === 'CHANNEL_UNBRIDGE' && bridgedPeer(e) === peer);

/** An ingest on a simulated node, and a recording transfer workflow. */
async function ingestAndTransfer(t: ExecutionContext<IngestTestContext>) {
  const { client, taskQueue } = t.context;
  const { sim, node } = await simulatedNode();
  closeWhenDone(t, sim);
  const ingest = await startIngest({ node, client, config: names, taskQueue, logger });
  closeWhenDone(t, ingest);
  await ingest.ready();
  const transferId = `transfer:${randomUUID()}:${randomUUID()}`;
  const handle = await client.workflow.start('recordingTransfer', { workflowId: transferId, taskQueue });
  return { node, ingest, transferId, handle };
}

/** An ingest on a simulated node that writes the channel projection to a store of its own. */
async function ingestWithProjection(t: ExecutionContext<IngestTestContext>) {
  const { client, taskQueue } = t.context;
  const { sim, node } = await simulatedNode();
  const store = openStore(':memory:');
  closeWhenDone(t, sim, store);
  const ingest = await startIngest({ node, client, store, config: names, taskQueue, logger });
  closeWhenDone(t, ingest);
  await ingest.ready();
  return { store, ingest };
}

/** A target leg the transfer originates, once its answer has reached the transfer. */
async function answeredTarget(ingest: Ingest, client: Client, transferId: string): Promise<string> {
  const leg = randomUUID();
  await ingest.esl.bgapi(
    `originate {origination_uuid=${leg},handoff_transfer_id=${transferId}}loopback/2600/default &park()`,
    randomUUID(),
  );
  await eventually(`${leg} answered`, async () =>
    (await recorded(client, transferId)).events.some((e) => e.uuid === leg && e.name === 'CHANNEL_ANSWER')
      ? true
      : undefined,
  );
  return leg;
}

/**
 * A leg as a transfer's hold leaves its parties, once its answer has reached its call workflow: marked
 * handoff_active_transfer, and a transferee handoff_transferee_of too.
 */
async function markedParty(
  ingest: Ingest,
  client: Client,
  transferId: string,
  opts: { transferee?: boolean; leg?: string } = {},
): Promise<string> {
  const leg = opts.leg ?? randomUUID();
  const marks = opts.transferee ? `,handoff_transferee_of=${transferId}` : '';
  await ingest.esl.bgapi(
    `originate {origination_uuid=${leg},park_after_bridge=true,handoff_active_transfer=${transferId}${marks}}loopback/2601/default &park()`,
    randomUUID(),
  );
  await eventsOf(client, leg, has('CHANNEL_ANSWER'));
  return leg;
}

async function callWorkflowsOf(client: Client, node: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query: `HandoffNode = '${node}'` })) ids.push(wf.workflowId);
  return ids.sort();
}

itest('calls: per-channel order, one workflow per call leg (none for loopback -b halves), projection', async (t) => {
  const { client, taskQueue } = t.context;
  const { sim, node } = await simulatedNode();
  const store = openStore(':memory:');
  closeWhenDone(t, sim, store);
  const ingest: Ingest = await startIngest({ node, client, store, config: names, taskQueue, logger });
  closeWhenDone(t, ingest);
  await ingest.ready();
  const [a, b] = [randomUUID(), randomUUID()];
  for (const [leg, cid] of [
    [a, '1001'],
    [b, '1002'],
  ] as const) {
    await ingest.esl.bgapi(
      `originate {origination_uuid=${leg},origination_caller_id_number=${cid},park_after_bridge=true,ecallmgr_Account-ID=acct1}loopback/2601/default &park()`,
      randomUUID(),
    );
  }
  await eventsOf(client, a, has('CHANNEL_ANSWER'));
  await eventsOf(client, b, has('CHANNEL_ANSWER'));
  t.is(await ingest.esl.api(`uuid_bridge ${a} ${b}`), `+OK ${b}\n`);
  await eventsOf(client, a, has('CHANNEL_BRIDGE'));
  // Only the first leg gets CHANNEL_BRIDGE, but the projection shows both sides bridged.
  await eventually('both rows bridged', async () => {
    const [ra, rb] = [await store.getChannel(a), await store.getChannel(b)];
    return ra?.bridgedTo === b && rb?.bridgedTo === a ? true : undefined;
  });
  t.is((await store.getChannel(a))?.accountId, 'acct1');
  t.true((await store.getChannel(b))?.answered);

  await ingest.esl.api(`uuid_recv_dtmf ${a} *22`);
  const withDigits = await eventsOf(client, a, (es) => es.filter((e) => e.name === 'DTMF').length >= 3);
  t.deepEqual(
    withDigits.filter((e) => e.name === 'DTMF').map((e) => e.digit),
    ['*', '2', '2'],
  );
  await ingest.esl.api(`uuid_kill ${a}`);
  const aEvents = await eventsOf(client, a, has('CHANNEL_HANGUP_COMPLETE'));
  // B is parked again (park_after_bridge): the projection alone says so, B's workflow gets nothing.
  await eventually('b unbridged in the projection', async () =>
    (await store.getChannel(b))?.bridgedTo === null ? true : undefined,
  );
  await ingest.esl.api(`uuid_kill ${b}`);
  const bEvents = await eventsOf(client, b, has('CHANNEL_HANGUP_COMPLETE'));

  for (const [leg, events] of [
    [a, aEvents],
    [b, bEvents],
  ] as const) {
    t.true(events.every((e) => e.uuid === leg && e.node === node.name));
    const seqs = events.map((e) => e.seq);
    t.deepEqual(
      seqs,
      [...seqs].sort((x, y) => x - y),
      'switch order',
    );
    t.is(new Set(seqs).size, seqs.length, 'no duplicates');
    t.is(events[0]?.name, 'CHANNEL_CREATE');
    t.is(events.at(-1)?.name, 'CHANNEL_HANGUP_COMPLETE');
    t.false(
      events.some((e) => e.name === 'CHANNEL_PARK'),
      'a park is for the projection only',
    );
  }
  t.is(aEvents[0]?.leg?.callerIdNumber, '1001');
  t.deepEqual(await callWorkflowsOf(client, node.name), [callWorkflowId(a), callWorkflowId(b)].sort());
  await ingest.idle();
  t.is(await store.getChannel(a), undefined);
  t.deepEqual(await store.listNodeChannels(node.name), []);
  const stats = ingest.stats();
  t.true(stats.signalsSent > 0);
  t.true(stats.batches > 0 && stats.batchMax >= 1);
  t.is(stats.deduplicated, 0);
  t.is(stats.forwarded, aEvents.length + bEvents.length);
});

itest('transfer target legs and originate results go to the transfer workflow, never to a call', async (t) => {
  const { client } = t.context;
  const { node, ingest, transferId, handle } = await ingestAndTransfer(t);
  const [c, d, jobC, jobD] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  await ingest.esl.bgapi(
    `originate {origination_uuid=${c},handoff_transfer_id=${transferId},ignore_early_media=true}loopback/2600/default &park()`,
    jobC,
  );
  await ingest.esl.bgapi(
    `originate {origination_uuid=${d},handoff_transfer_id=${transferId}}loopback/2603/default &park()`,
    jobD,
  );
  await eventually('the failed originate and the answered leg', async () => {
    const r = await recorded(client, transferId);
    return r.results.length >= 1 && r.events.some((e) => e.uuid === c && e.name === 'CHANNEL_ANSWER') ? r : undefined;
  });
  // DTMF carries no variables: it still reaches the transfer, from the route remembered for the leg.
  await ingest.esl.api(`uuid_recv_dtmf ${c} 5`);
  await eventually('the target leg digit', async () =>
    (await recorded(client, transferId)).events.some((e) => e.uuid === c && e.name === 'DTMF' && e.digit === '5')
      ? true
      : undefined,
  );
  await ingest.idle();
  // A failure is the transfer's input; C's +OK came after C's CHANNEL_ANSWER had told the transfer, and stays here.
  const rec = await recorded(client, transferId);
  t.deepEqual(
    rec.results.map((r) => [r.jobUuid, r.cause]),
    [[jobD, 'USER_BUSY']],
  );
  // The legs' events go to the transfer, but their creation: the transfer has no use for it (it dialled them).
  const legEvents = (await recorded(client, transferId)).events;
  t.is(legEvents.find((e) => e.uuid === c)?.name, 'CHANNEL_ANSWER');
  t.deepEqual(
    legEvents.filter((e) => e.name === 'CHANNEL_CREATE'),
    [],
  );
  await t.throwsAsync(client.workflow.getHandle(callWorkflowId(c)).describe(), { instanceOf: WorkflowNotFoundError });
  t.deepEqual(await callWorkflowsOf(client, node.name), []);

  // The transfer ends; its target leg C lives on as a call of its own. A leg whose only later event is its hangup
  // (F) gets no call workflow.
  const f = await answeredTarget(ingest, client, transferId);
  await handle.signal(finishSignal);
  await handle.result();
  await ingest.esl.api(`uuid_recv_dtmf ${c} 7`);
  await eventsOf(client, c, has('DTMF', '7'));
  await ingest.esl.api(`uuid_kill ${c}`);
  await eventsOf(client, c, has('CHANNEL_HANGUP_COMPLETE'));
  await ingest.esl.api(`uuid_kill ${f}`);
  await eventually('F hung up and dropped', async () => (ingest.stats().lateDropped >= 1 ? true : undefined));
  await t.throwsAsync(client.workflow.getHandle(callWorkflowId(f)).describe(), { instanceOf: WorkflowNotFoundError });
});

itest(
  'a target leg its transfer let go that hangs up: its call workflow starts with the hangup, and no signal',
  async (t) => {
    const { client } = t.context;
    const { ingest, transferId, handle } = await ingestAndTransfer(t);
    const g = await answeredTarget(ingest, client, transferId);
    // A completed transfer lets its target go (activities/switch.ts restoreSettings): G is a call of its own now.
    await ingest.esl.api(`uuid_setvar ${g} handoff_transfer_id`);
    await handle.signal(finishSignal);
    await handle.result();
    await ingest.esl.api(`uuid_kill ${g}`);
    const call = client.workflow.getHandle(callWorkflowId(g));
    const rec = await eventually('G has its call workflow', async () =>
      (await call.describe().then(
        () => true,
        () => false,
      ))
        ? ((await call.result()) as Recorded)
        : undefined,
    );
    t.deepEqual(
      rec.initial?.map((e) => e.name),
      ['CHANNEL_HANGUP_COMPLETE'],
    );
    t.deepEqual(rec.events, [], 'no event signalled');
    const history = (await call.fetchHistory()).events ?? [];
    t.is(history.filter((ev) => ev.workflowExecutionSignaledEventAttributes).length, 0);
    t.is((await call.describe()).status.name, 'COMPLETED');
  },
);

itest(
  "a transfer's parties: their hangup goes to the transfer too (alsoTo), their bridges only to their call workflows",
  async (t) => {
    const { client } = t.context;
    const { ingest, transferId, handle } = await ingestAndTransfer(t);
    // A transferor and a transferee as the transfer's hold leaves them: carrying handoff_active_transfer.
    const a = await markedParty(ingest, client, transferId);
    const b = await markedParty(ingest, client, transferId);
    t.is(await ingest.esl.api(`uuid_bridge ${a} ${b}`), `+OK ${b}\n`);
    const aEvents = await eventsOf(client, a, has('CHANNEL_BRIDGE'));
    t.is(aEvents.find((e) => e.name === 'CHANNEL_BRIDGE')?.alsoTo, undefined, 'the bridge went to the call alone');
    await ingest.esl.api(`uuid_kill ${a}`);
    const ended = await eventsOf(client, a, has('CHANNEL_HANGUP_COMPLETE'));
    t.is(ended.find((e) => e.name === 'CHANNEL_HANGUP_COMPLETE')?.alsoTo, transferId);
    const rec = await eventually("the transferor's hangup at its transfer", async () => {
      const r = await recorded(client, transferId);
      return r.events.some((e) => e.uuid === a && e.name === 'CHANNEL_HANGUP_COMPLETE') ? r : undefined;
    });
    await ingest.idle();
    // The transfer confirms the bridges it makes in their own activities: a party's CHANNEL_BRIDGE would be a signal
    // and a workflow task with nothing done.
    t.deepEqual(
      (await recorded(client, transferId)).events.map((e) => [e.uuid, e.name]),
      rec.events.map((e) => [e.uuid, e.name]),
    );
    t.deepEqual(
      rec.events.map((e) => [e.uuid, e.name]),
      [[a, 'CHANNEL_HANGUP_COMPLETE']],
    );
    await handle.signal(finishSignal);
    await handle.result();
    await ingest.esl.api(`uuid_kill ${b}`);
  },
);

itest(
  "a transferor's key presses go to its transfer as well as to its call workflow; its transferee's do not",
  async (t) => {
    const { client, taskQueue } = t.context;
    const { ingest, transferId, handle } = await ingestAndTransfer(t);
    const transferor = await markedParty(ingest, client, transferId);
    const transferee = await markedParty(ingest, client, transferId, { transferee: true });
    await ingest.esl.api(`uuid_recv_dtmf ${transferee} 9`);
    await ingest.esl.api(`uuid_recv_dtmf ${transferor} *1`);
    await eventsOf(client, transferee, has('DTMF', '9'));
    const keys = await eventsOf(client, transferor, has('DTMF', '1'));
    t.deepEqual(
      keys.filter((e) => e.name === 'DTMF').map((e) => [e.digit, e.alsoTo]),
      [
        ['*', undefined],
        ['1', undefined],
      ],
      'the call workflow collects every press, unmarked',
    );
    const rec = await eventually("the transferor's presses at its transfer", async () => {
      const r = await recorded(client, transferId);
      return r.events.filter((e) => e.name === 'DTMF').length >= 2 ? r : undefined;
    });
    await ingest.idle();
    t.deepEqual(
      (await recorded(client, transferId)).events.map((e) => [e.uuid, e.name, e.digit]),
      [
        [transferor, 'DTMF', '*'],
        [transferor, 'DTMF', '1'],
      ],
    );
    t.deepEqual(
      rec.events.map((e) => [e.coreUuid, e.seq]),
      keys.filter((e) => e.name === 'DTMF').map((e) => [e.coreUuid, e.seq]),
      'the same presses',
    );
    // The transfer ends; the leg still carries its mark (the transfer's restore is its last chore): a press then is
    // its call workflow's alone, and does not make the pair's next transfer, which has the same ID, one that ended.
    await handle.signal(finishSignal);
    await handle.result();
    await ingest.esl.api(`uuid_recv_dtmf ${transferor} 7`);
    await eventsOf(client, transferor, has('DTMF', '7'));
    await ingest.idle();
    const next = await client.workflow.start('recordingTransfer', { workflowId: transferId, taskQueue });
    // The next transfer's hold marks the legs again and unbridges them: an event with variables says it.
    t.is(await ingest.esl.api(`uuid_bridge ${transferor} ${transferee}`), `+OK ${transferee}\n`);
    await eventsOf(client, transferor, has('CHANNEL_BRIDGE'));
    await ingest.esl.api(`uuid_recv_dtmf ${transferor} 8`);
    await eventually("the next transfer's press", async () => {
      const r = await recorded(client, transferId);
      return r.events.length > 0 ? r : undefined;
    });
    // Once the leg carries the mark no more (the transfer restored it), its presses and its hangup go to its call
    // workflow alone.
    await ingest.esl.api(`uuid_setvar ${transferor} handoff_active_transfer`);
    t.is(await ingest.esl.api(`uuid_transfer ${transferor} -both park inline`), '+OK\n');
    await eventsOf(client, transferor, has('CHANNEL_UNBRIDGE'));
    await ingest.esl.api(`uuid_recv_dtmf ${transferor} 4`);
    await ingest.esl.api(`uuid_kill ${transferor}`);
    await eventsOf(client, transferor, has('CHANNEL_HANGUP_COMPLETE'));
    await ingest.idle();
    t.deepEqual(
      (await recorded(client, transferId)).events.map((e) => [e.uuid, e.name, e.digit]),
      [[transferor, 'DTMF', '8']],
    );
    await next.signal(finishSignal);
    await next.result();
    await ingest.esl.api(`uuid_kill ${transferee}`);
  },
);

itest(
  "a party's hangup before its transfer has started (the hold marks the parties first) waits for the transfer",
  async (t) => {
    const { client, taskQueue } = t.context;
    const { sim, node } = await simulatedNode();
    closeWhenDone(t, sim);
    const ingest = await startIngest({ node, client, config: names, taskQueue, logger });
    closeWhenDone(t, ingest);
    await ingest.ready();
    const transferId = `transfer:${randomUUID()}:${randomUUID()}`;
    const leg = await markedParty(ingest, client, transferId);
    const retries = ingest.stats().signalRetries;
    await ingest.esl.api(`uuid_kill ${leg}`);
    // The hangup has found no transfer workflow at least once (the ingest holds it and tries again) before the
    // transfer starts. Started at once then: the ingest waits TRANSFER_START_WAIT_MS from the hangup, its tries further
    // and further apart, and a start that came seconds later on a loaded machine (it once waited for the call
    // workflow's own copy of the hangup) could miss the last of them.
    await eventually(
      'the hangup tried at its transfer and held',
      () => (ingest.stats().signalRetries > retries ? true : undefined),
      { everyMs: 10 },
    );
    const handle = await client.workflow.start('recordingTransfer', { workflowId: transferId, taskQueue });
    const rec = await eventually("the party's hangup at its transfer", async () => {
      const r = await recorded(client, transferId);
      return r.events.some((e) => e.uuid === leg && e.name === 'CHANNEL_HANGUP_COMPLETE') ? r : undefined;
    });
    t.deepEqual(
      rec.events.map((e) => [e.uuid, e.name]),
      [[leg, 'CHANNEL_HANGUP_COMPLETE']],
    );
    await handle.signal(finishSignal);
    await handle.result();
  },
);

itest(
  "a transferee's bridge to its transfer's target: in the projection, not signalled to its call (the transfer's end says it)",
  async (t) => {
    const { client, taskQueue } = t.context;
    const { store, ingest } = await ingestWithProjection(t);
    const transferId = `transfer:${randomUUID()}:${randomUUID()}`;
    const handle = await client.workflow.start('recordingTransfer', { workflowId: transferId, taskQueue });
    // A transferor (a) and a transferee (b) as the transfer's hold leaves them (the transferee marked as such), and
    // the target (g) the transfer originated.
    const a = await markedParty(ingest, client, transferId);
    const b = await markedParty(ingest, client, transferId, { transferee: true });
    const g = await answeredTarget(ingest, client, transferId);
    // The consultation: the transferor's bridge to the target reaches her call workflow (private codes need her peer).
    t.is(await ingest.esl.api(`uuid_bridge ${a} ${g}`), `+OK ${g}\n`);
    await eventsOf(client, a, bridgedTo(g));
    // The transfer's end: the transferee bridged to the target. The projection shows it.
    t.is(await ingest.esl.api(`uuid_bridge ${b} ${g}`), `+OK ${g}\n`);
    await eventually('b bridged to g in the projection', async () =>
      (await store.getChannel(b))?.bridgedTo === g ? true : undefined,
    );
    // A bridge of the transferee to anyone else (here the transferor, as a takeback makes it) is signalled: it comes
    // behind the one before on the leg's queue, so once it is there, the bridge to the target would have been too.
    t.is(await ingest.esl.api(`uuid_bridge ${b} ${a}`), `+OK ${a}\n`);
    const bEvents = await eventsOf(client, b, bridgedTo(a));
    t.false(bridgedTo(g)(bEvents), bEvents.map((e) => `${e.name} ${bridgedPeer(e) ?? ''}`).join(', '));
    await handle.signal(finishSignal);
    await handle.result();
    for (const leg of [a, b, g]) await ingest.esl.api(`uuid_kill ${leg}`);
  },
);

itest(
  "the hold's unbridge of a transfer's parties: in the projection, not signalled to their calls; an unbridge from anyone else is",
  async (t) => {
    const { client, taskQueue } = t.context;
    const { store, ingest } = await ingestWithProjection(t);
    const [a, b] = [randomUUID(), randomUUID()];
    const transferId = `transfer:${a}:${b}`;
    const handle = await client.workflow.start('recordingTransfer', { workflowId: transferId, taskQueue });
    await markedParty(ingest, client, transferId, { leg: a });
    await markedParty(ingest, client, transferId, { leg: b });
    t.is(await ingest.esl.api(`uuid_bridge ${a} ${b}`), `+OK ${b}\n`);
    await eventsOf(client, a, has('CHANNEL_BRIDGE'));
    // The hold: parking the transferee unbridges the pair, both marked. The projection shows it.
    t.is(await ingest.esl.api(`uuid_park ${b}`), '+OK\n');
    await eventually('a unbridged in the projection', async () =>
      (await store.getChannel(a))?.bridgedTo === null ? true : undefined,
    );
    // The consultation and its end (a takeback kills the target): the unbridge from the target is signalled. It comes
    // behind the hold's on the leg's queue, so once it is there, the hold's would have been too.
    const g = await answeredTarget(ingest, client, transferId);
    t.is(await ingest.esl.api(`uuid_bridge ${a} ${g}`), `+OK ${g}\n`);
    await eventsOf(client, a, bridgedTo(g));
    await ingest.esl.api(`uuid_kill ${g}`);
    const aEvents = await eventsOf(client, a, unbridgedFrom(g));
    t.false(unbridgedFrom(b)(aEvents), aEvents.map((e) => `${e.name} ${bridgedPeer(e) ?? ''}`).join(', '));
    // The transferee's side: its hangup comes behind anything the hold gave it.
    await ingest.esl.api(`uuid_kill ${b}`);
    const bEvents = await eventsOf(client, b, has('CHANNEL_HANGUP_COMPLETE'));
    t.false(unbridgedFrom(a)(bEvents), bEvents.map((e) => `${e.name} ${bridgedPeer(e) ?? ''}`).join(', '));
    await handle.signal(finishSignal);
    await handle.result();
    await ingest.esl.api(`uuid_kill ${a}`);
  },
);

itest('duplicates are dropped, a switch restart is not a duplicate, a late event starts no new run', async (t) => {
  const { client, taskQueue } = t.context;
  const fs = await startFakeEsl();
  closeWhenDone(t, fs);
  const node = { name: nodeName(), host: '127.0.0.1', port: fs.port, password: 'ClueCon' };
  const ingest = await startIngest({ node, client, config: names, taskQueue, logger });
  closeWhenDone(t, ingest);
  await ingest.ready();
  const u = randomUUID();
  const ev = (name: string, core: string, seq: number, extra: Record<string, string> = {}): Record<string, string> => ({
    'Event-Name': name,
    'Core-UUID': core,
    'Event-Sequence': String(seq),
    'Event-Date-Timestamp': String(Date.now() * 1000),
    'Unique-ID': u,
    'Channel-Name': 'sofia/internal/1001@example.com',
    ...extra,
  });
  const vars = { variable_uuid: u, 'variable_ecallmgr_Account-ID': 'acct9' };
  fs.sendEvent(ev('CHANNEL_CREATE', 'core1', 10, vars));
  fs.sendEvent(ev('CHANNEL_CREATE', 'core1', 10, vars)); // the same event again (a second subscription, a replay)
  fs.sendEvent(ev('DTMF', 'core1', 12, { 'DTMF-Digit': '1' }));
  fs.sendEvent(ev('DTMF', 'core1', 11, { 'DTMF-Digit': '0' })); // older than the last seen: a duplicate
  fs.sendEvent(ev('CHANNEL_STATE', 'core1', 13, vars)); // not subscribed to: never arrives
  fs.sendEvent(ev('DTMF', 'core2', 3, { 'DTMF-Digit': '2' })); // the switch restarted: its sequence starts again
  fs.sendEvent(ev('CHANNEL_HANGUP_COMPLETE', 'core2', 4, { ...vars, 'Hangup-Cause': 'NORMAL_CLEARING' }));
  const handle = client.workflow.getHandle(callWorkflowId(u));
  // The ingest delivers asynchronously: the workflow exists only once the first signal-with-start went through.
  const result = await eventually('the call workflow', async () => (await handle.result()) as Recorded);
  t.deepEqual(
    result.events.map((e) => `${e.name}:${e.coreUuid}:${e.seq}`),
    ['CHANNEL_CREATE:core1:10', 'DTMF:core1:12', 'DTMF:core2:3', 'CHANNEL_HANGUP_COMPLETE:core2:4'],
  );
  t.is(result.events[0]?.leg?.accountId, 'acct9');
  const firstRun = (await handle.describe()).runId;

  fs.sendEvent(ev('DTMF', 'core2', 9, { 'DTMF-Digit': '9' }));
  await eventually('the late event dropped', async () => (ingest.stats().lateDropped === 1 ? true : undefined));
  const after = await handle.describe();
  t.is(after.runId, firstRun);
  t.is(after.status.name, 'COMPLETED');
  const stats = ingest.stats();
  t.is(stats.deduplicated, 2);
  t.is(stats.received, 7); // 8 sent, CHANNEL_STATE filtered by the subscription
  t.is(stats.forwarded, 5);
});

itest(
  'reconciliation: a live channel without a workflow gets a SNAPSHOT, a workflow without a channel a GONE',
  async (t) => {
    const { client, taskQueue } = t.context;
    const { sim, node } = await simulatedNode();
    closeWhenDone(t, sim);
    // Before the ingest runs: a live call leg, a live transfer target leg, and a call workflow whose channel is gone.
    const pre = new EslNode(node, { logger }).start();
    closeWhenDone(t, pre);
    await pre.waitConnected();
    const [a, c, ghost] = [randomUUID(), randomUUID(), randomUUID()];
    // C's transfer is running: a target leg of a transfer that has ended would be adopted as a call.
    const transferId = `transfer:${randomUUID()}:${randomUUID()}`;
    const transfer = await client.workflow.start('recordingTransfer', { workflowId: transferId, taskQueue });
    await pre.bgapi(
      `originate {origination_uuid=${a},origination_caller_id_number=1001,ecallmgr_Account-ID=acct7}loopback/2600/default &park()`,
      randomUUID(),
    );
    await pre.bgapi(
      `originate {origination_uuid=${c},handoff_transfer_id=${transferId}}loopback/2600/default &park()`,
      randomUUID(),
    );
    await eventually('legs up', async () =>
      (await pre.api(`uuid_exists ${a}`)) === 'true' && (await pre.api(`uuid_exists ${c}`)) === 'true'
        ? true
        : undefined,
    );
    await pre.close();
    await client.workflow.start('callWorkflow', {
      workflowId: callWorkflowId(ghost),
      taskQueue,
      args: [{ callId: ghost, node: node.name }],
      typedSearchAttributes: [{ key: NODE, value: node.name }],
    });
    await eventually('the ghost visible', async () =>
      (await callWorkflowsOf(client, node.name)).includes(callWorkflowId(ghost)) ? true : undefined,
    );

    const store = openStore(':memory:');
    closeWhenDone(t, store);
    await store.upsertChannel({
      callId: 'stale',
      node: node.name,
      accountId: null,
      answered: true,
      bridgedTo: null,
      createdAt: 1,
      updatedAt: 1,
    });
    const ingest = await startIngest({ node, client, store, config: names, taskQueue, logger });
    closeWhenDone(t, ingest);
    await ingest.ready();
    const aEvents = await eventsOf(client, a, has('SNAPSHOT'));
    const snap = aEvents[0];
    t.is(snap?.name, 'SNAPSHOT');
    t.is(snap?.answerState, 'answered');
    t.is(snap?.leg?.accountId, 'acct7');
    t.is(snap?.leg?.channelName, 'loopback/2600-a');
    const ghostResult = (await client.workflow.getHandle(callWorkflowId(ghost)).result()) as Recorded;
    t.deepEqual(
      ghostResult.events.map((e) => e.name),
      ['GONE'],
    );
    await t.throwsAsync(client.workflow.getHandle(callWorkflowId(c)).describe(), { instanceOf: WorkflowNotFoundError });
    await ingest.idle();
    t.deepEqual(
      (await store.listNodeChannels(node.name)).map((r) => [r.callId, r.accountId]),
      [[a, 'acct7']],
    );

    // Once more by hand: everything is in place, nothing to send.
    await eventually('a visible', async () =>
      (await callWorkflowsOf(client, node.name)).includes(callWorkflowId(a)) ? true : undefined,
    );
    const snapshotsOfA = async (): Promise<number> =>
      (await recorded(client, callWorkflowId(a))).events.filter((e) => e.name === 'SNAPSHOT').length;
    const report = await ingest.reconcile();
    t.like(report, { liveCalls: 1, gones: 0 });
    await ingest.idle();
    t.is(await snapshotsOfA(), 1, 'a running call gets no SNAPSHOT by default');
    await ingest.reconcile({ snapshotRunning: true });
    await eventually('a second SNAPSHOT', async () => ((await snapshotsOfA()) === 2 ? true : undefined));

    await ingest.esl.api(`uuid_kill ${a}`);
    await ingest.esl.api(`uuid_kill ${c}`);
    await transfer.signal(finishSignal);
    await eventsOf(client, a, has('CHANNEL_HANGUP_COMPLETE'));
  },
);

itest(
  'after the switch drops the event connection, the ingest reconnects and snapshots the running calls',
  async (t) => {
    const { client, taskQueue } = t.context;
    const { sim, node } = await simulatedNode();
    closeWhenDone(t, sim);
    const ingest = await startIngest({ node, client, config: names, taskQueue, logger });
    closeWhenDone(t, ingest);
    await ingest.ready();
    const a = randomUUID();
    await ingest.esl.bgapi(`originate {origination_uuid=${a}}loopback/2600/default &park()`, randomUUID());
    await eventsOf(client, a, has('CHANNEL_ANSWER'));
    await eventually('a visible', async () =>
      (await callWorkflowsOf(client, node.name)).includes(callWorkflowId(a)) ? true : undefined,
    );
    const before = ingest.stats().reconciles;
    // Dropped from a third connection, so both of the ingest's connections go.
    const control = new EslConnection({ ...sim, logger }).start();
    await control.api('sim_fault drop_clients');
    await control.close();
    await eventually('reconciled again', async () => (ingest.stats().reconciles > before ? true : undefined));
    await eventsOf(client, a, has('SNAPSHOT'));
    await ingest.esl.api(`uuid_kill ${a}`);
    await eventsOf(client, a, has('CHANNEL_HANGUP_COMPLETE'));
    t.pass();
  },
);
