// How a call and a transfer read for a person: the one-line summaries the Temporal UI shows for each workflow, and who
// hears what in each phase. Pure functions of the workflows' own summaries, shared by the workflows (their UI summary
// and current details) and the on-call CLI, so both tell the same story.
import type { CallSummary, TransferSummary } from '../contracts/messages.ts';

const short = (uuid: string | undefined) => (uuid ? uuid.slice(0, 8) : '?');

/** `call: 1001 Alice · inbound · account de00…01 · node fs1`: what is known when the call's workflow starts. */
export function callHeadline(
  c: Pick<CallSummary, 'callerIdNumber' | 'callerIdName' | 'direction' | 'accountId' | 'node'>,
): string {
  const who = [c.callerIdNumber, c.callerIdName].filter(Boolean).join(' ') || 'unknown caller';
  return [`call: ${who}`, c.direction, c.accountId ? `account ${c.accountId}` : undefined, `node ${c.node}`]
    .filter(Boolean)
    .join(' · ');
}

/** The call's fixed details (markdown): the leg and what its first event said of it. */
export function callDetails(
  callId: string,
  c: Pick<CallSummary, 'callerIdNumber' | 'callerIdName' | 'calleeIdNumber' | 'direction' | 'accountId' | 'node'>,
): string {
  return [
    `**leg** \`${callId}\`${c.direction ? ` (${c.direction})` : ''}`,
    `**caller** ${[c.callerIdNumber, c.callerIdName].filter(Boolean).join(' ') || 'unknown'}${c.calleeIdNumber ? ` · **callee** ${c.calleeIdNumber}` : ''}`,
    `**node** ${c.node}${c.accountId ? ` · **account** ${c.accountId}` : ''}`,
  ].join('\n\n');
}

/** `transfer: 1001 → 2600 attended, by *2` (or `by REST`). */
export function transferHeadline(t: {
  from?: string;
  target: string;
  type: string;
  startedBy: 'dtmf' | 'api';
  code?: string;
}): string {
  const by = t.startedBy === 'api' ? 'REST' : t.code ? `*${t.code.replace(/^\*/, '')}` : 'feature code';
  return `transfer: ${t.from ?? 'caller'} → ${t.target} ${t.type}, by ${by}`;
}

/** Who hears what while the transfer is in this phase (parties by role, the legs' short IDs after them). */
export function transferHearing(
  t: Pick<TransferSummary, 'phase' | 'transferor' | 'transferee' | 'targetLeg' | 'outcome' | 'reason' | 'target'>,
): string {
  const transferor = `transferor ${short(t.transferor)}`;
  const transferee = `transferee ${short(t.transferee)}`;
  const target = `target ${t.target} (${short(t.targetLeg)})`;
  switch (t.phase) {
    case 'starting':
      return `putting ${transferor} and ${transferee} on hold; dialling ${target}`;
    case 'ringing':
      return `${target} rings; ${transferor} hears ringback; ${transferee} hears music on hold`;
    case 'consulting':
      return `${transferor} talks to ${target}; ${transferee} hears music on hold`;
    case 'partial':
      return `${transferor} has hung up; ${target} rings; ${transferee} hears music on hold and gets the target on answer`;
    case 'recalling':
      return `${target} failed after the transferor left; calling ${transferor} back; ${transferee} hears music on hold`;
    case 'connecting':
      return `connecting the parties (bridge sent, waiting for the switch to confirm)`;
    case 'joining':
      return `moving ${transferor}, ${transferee} and ${target} into one conference (three-way)`;
    case 'three_way':
      return `three-way: ${transferor}, ${transferee} and ${target} hear each other in one conference`;
    case 'swapped':
      return `${transferor} talks to ${transferee} again; ${target} hears music on hold`;
    case 'ended':
      return `${t.outcome ?? 'no outcome'}${t.reason ? ` (${t.reason})` : ''}`;
  }
}

/** What this leg hears now, from its call's point of view. */
export function callHearing(
  c: Pick<CallSummary, 'phase' | 'bridgedTo' | 'hangupCause' | 'answered' | 'digitsKeptFrom'>,
): string {
  const hears = phaseHearing(c);
  return c.digitsKeptFrom
    ? `${hears}; typing a private code (${short(c.digitsKeptFrom)} does not hear its digits)`
    : hears;
}

function phaseHearing(c: Pick<CallSummary, 'phase' | 'bridgedTo' | 'hangupCause' | 'answered'>): string {
  switch (c.phase) {
    case 'ringing':
      return 'ringing';
    case 'answered':
      return 'answered, not bridged to anyone';
    case 'bridged':
      return `talking to ${short(c.bridgedTo)}`;
    case 'held':
      return `holding ${short(c.bridgedTo)} (it hears music; this leg hears silence)`;
    case 'in_transfer':
      return 'in a transfer (see the transfer)';
    case 'ended':
      return `hung up${c.hangupCause ? ` (${c.hangupCause})` : ''}`;
  }
}
