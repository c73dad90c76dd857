// bench/hops.ts `cut`: a step cut at its milestones, each looked for from the one before.
import test from 'ava';
import { codeAndTakebackEnds, cut, type HistoryMark, type Milestone } from '../../bench/hops.ts';

const call: HistoryMark[] = [
  { at: 90, type: 'workflowTaskStarted' }, // a task already running when the digit came: not the one that saw it
  { at: 105, type: 'workflowExecutionSignaled', signal: 'channelEvents' },
  { at: 108, type: 'workflowTaskStarted' },
  { at: 115, type: 'signalExternalWorkflowExecutionInitiated' },
];
const transfer: HistoryMark[] = [
  { at: 100, type: 'workflowExecutionSignaled', signal: 'transferLegEvents' },
  { at: 118, type: 'workflowExecutionSignaled', signal: 'cancelTransfer' },
  { at: 121, type: 'workflowTaskStarted' },
  { at: 128, type: 'activityTaskScheduled', activity: 'other' },
  { at: 129, type: 'activityTaskScheduled', activity: 'killThenBridge' },
  { at: 132, type: 'activityTaskStarted', activity: 'other' },
  { at: 133, type: 'activityTaskStarted', activity: 'killThenBridge' },
];
const histories = new Map([
  ['call', call],
  ['transfer', transfer],
]);

test('each milestone is the first of its kind after the one before (signal name and activity type matched)', (t) => {
  const hops = cut(
    100,
    [
      { wf: 'call', type: 'workflowExecutionSignaled', signal: 'channelEvents' },
      { wf: 'call', type: 'workflowTaskStarted' },
      { wf: 'call', type: 'signalExternalWorkflowExecutionInitiated' },
      { wf: 'transfer', type: 'workflowExecutionSignaled', signal: 'cancelTransfer' },
      { wf: 'transfer', type: 'workflowTaskStarted' },
      { wf: 'transfer', type: 'activityTaskScheduled', activity: 'killThenBridge' },
      { wf: 'transfer', type: 'activityTaskStarted', activity: 'killThenBridge' },
      { times: [90, 131, 137] },
    ],
    histories,
  );
  t.deepEqual(hops, [5, 3, 7, 3, 3, 8, 4, 4]);
});

test('a step whose milestone never came is not cut', (t) => {
  t.is(cut(100, [{ wf: 'call', type: 'timerFired' }], histories), undefined);
  t.is(cut(100, [{ times: [50, 99] }], histories), undefined);
  t.is(cut(100, [{ wf: 'nowhere', type: 'workflowTaskStarted' }], histories), undefined);
});

/** Step (a) as measureCall cuts it: the timer and its task found back from the resolve's scheduling. */
const codeEndMilestones = (replies: number[]): Milestone[] => [
  { wf: 'call', type: 'timerFired', latest: true },
  { wf: 'call', type: 'workflowTaskStarted', latest: true },
  { wf: 'call', type: 'activityTaskScheduled', activity: 'resolveTransfer' },
  { wf: 'call', type: 'activityTaskStarted', activity: 'resolveTransfer' },
  { times: replies },
];

test("a code's timer is the one whose task scheduled the resolve, not the first to fire after the step began", (t) => {
  const code: HistoryMark[] = [
    { at: 60, type: 'timerFired' }, // the code's first timer, mid-code: a later key had moved the deadline
    { at: 62, type: 'workflowTaskStarted' },
    { at: 95, type: 'workflowTaskStarted' }, // a task for another event, after the step began
    { at: 110, type: 'timerFired' },
    { at: 115, type: 'workflowTaskStarted' },
    { at: 125, type: 'activityTaskScheduled', activity: 'resolveTransfer' },
    { at: 127, type: 'activityTaskStarted', activity: 'resolveTransfer' },
    { at: 1900, type: 'timerFired' }, // the next code's
  ];
  t.deepEqual(cut(100, codeEndMilestones([131]), new Map([['call', code]])), [10, 5, 10, 2, 4]);
});

test("a code's timer that fired before the last key plus the timeout is a hop of 0, not the next code's timer", (t) => {
  // The timer was kept for the deadline before the last key (a restart would not have saved half the timer shift);
  // it fired 20 ms before the step began, and the task that saw it began 31 ms after: past the deadline, so the code
  // ended there.
  const code: HistoryMark[] = [
    { at: 80, type: 'timerFired' },
    { at: 131, type: 'workflowTaskStarted' },
    { at: 140, type: 'activityTaskScheduled', activity: 'resolveTransfer' },
    { at: 142, type: 'activityTaskStarted', activity: 'resolveTransfer' },
    { at: 1900, type: 'timerFired' }, // the next code's: the first timer fired after the step began
    { at: 1910, type: 'workflowTaskStarted' },
    { at: 1920, type: 'activityTaskScheduled', activity: 'resolveTransfer' },
    { at: 1922, type: 'activityTaskStarted', activity: 'resolveTransfer' },
  ];
  t.deepEqual(cut(100, codeEndMilestones([150, 1930]), new Map([['call', code]])), [0, 31, 9, 2, 8]);
  // Looked for forwards, as before, the step ran into the next code.
  const forwards = codeEndMilestones([150, 1930]).map((m) => ('latest' in m ? { ...m, latest: false } : m));
  t.deepEqual(cut(100, forwards, new Map([['call', code]])), [1800, 10, 10, 2, 8]);
});

test("the code's and the takeback's last keys, wherever the phones pressed a split code again", (t) => {
  t.deepEqual(codeAndTakebackEnds([...'*22600*1*22600']), { codeEnd: 5, takebackEnd: 7 });
  // `*2`, a pause past the digit timeout, then the code pressed whole again.
  t.deepEqual(codeAndTakebackEnds([...'*2*22600*1*22600']), { codeEnd: 7, takebackEnd: 9 });
  // The takeback's `*` split from its `1`, and pressed again.
  t.deepEqual(codeAndTakebackEnds([...'*22600**1']), { codeEnd: 5, takebackEnd: 8 });
  t.deepEqual(codeAndTakebackEnds([...'*22600']), {});
});
