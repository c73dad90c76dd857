// A call whose engine roles reach Temporal each through a gate of its own (tcp-gate.ts), for tests of what a feature
// code becomes when one role loses Temporal while it is typed: the node worker (ESL, ingest, switch activities) in a
// process of its own, and the workflow worker in one too when the test gates it. Everything is put away afterwards:
// the legs hung up, their workflows ended (so that recorded histories are complete), the processes killed.
import type { ExecutionContext } from 'ava';
import type { ChildProcess } from 'node:child_process';
import { DEMO_METAFLOWS } from '../../store/seed.ts';
import { hangUp, placeCall, waitFor, type Engine, type Party } from './engine.ts';
import { callEnded } from './history.ts';
import { startNodeProcess, startWorkflowProcess } from './processes.ts';
import { consulting, isTargetLegCreated } from './scenario.ts';
import { startTcpGate, type TcpGate } from './tcp-gate.ts';

export interface GatedCall {
  alice: Party;
  bob: Party;
  /** The node worker's way to Temporal. */
  forNodes: TcpGate;
  /** The workflow worker's, when it runs in a process of its own. */
  forWorkflows?: TcpGate;
  /** A leg the test created: hung up at the end. */
  keep(leg: string): void;
}

/**
 * Places Alice's call to Bob with the account's digit timeout set to `digitTimeoutMs`, the roles behind their gates
 * (the workflow worker only with `workflowProcess`: the engine must then run none), and runs `body`.
 */
export async function withGatedCall(
  e: Engine,
  opts: { digitTimeoutMs: number; workflowProcess: boolean },
  body: (call: GatedCall) => Promise<void>,
): Promise<void> {
  const gates: TcpGate[] = [];
  const processes: ChildProcess[] = [];
  const legs: string[] = [];
  try {
    const temporal = process.env.TEMPORAL_ADDRESS!;
    const forNodes = await startTcpGate(temporal);
    gates.push(forNodes);
    let forWorkflows: TcpGate | undefined;
    if (opts.workflowProcess) {
      forWorkflows = await startTcpGate(temporal);
      gates.push(forWorkflows);
      processes.push(await startWorkflowProcess(e, { TEMPORAL_ADDRESS: forWorkflows.address }));
    }
    // These scenarios split a code between what reached the workflow and what an outage kept in the ingest: presses
    // sent one by one, as private codes and a transfer party's are. With the code hold a code travels whole.
    processes.push(await startNodeProcess(e, { TEMPORAL_ADDRESS: forNodes.address, INGEST_CODE_HOLD: 'false' }));
    await e.store.setMetaflows(
      { accountId: e.demo.accountId, level: 'account' },
      { ...DEMO_METAFLOWS, digit_timeout: opts.digitTimeoutMs },
    );
    const { alice, bob } = await placeCall(e);
    legs.push(alice.uuid, bob.uuid);
    await body({ alice, bob, forNodes, forWorkflows, keep: (leg) => legs.push(leg) });
  } finally {
    for (const gate of gates) gate.open();
    for (const leg of legs) await hangUp(e, leg);
    // The workflows hear the hangups and end (their histories are kept when HANDOFF_RECORD_HISTORIES is set).
    for (const leg of legs) await callEnded(e, leg);
    for (const child of processes) child.kill('SIGKILL');
    for (const gate of gates) await gate.close();
  }
}

/** Alice's transfer dialled `target` (the whole code, not a part of it), and she consults it while Bob is held. */
export async function dialledWhole(t: ExecutionContext, e: Engine, call: GatedCall, target: string): Promise<void> {
  const created = await waitFor(e, (ev) => isTargetLegCreated(ev, call.alice.uuid), 30_000);
  t.is(created.headers['Caller-Destination-Number'], target, 'the whole code, not a part of it');
  const carol = created.headers['Unique-ID']!;
  call.keep(carol);
  await consulting(t, e, call.alice, call.bob, carol);
}
