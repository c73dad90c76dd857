// bench/hops.ts `cut`: a step cut at its milestones, each looked for from the one before.
import test from 'ava';
import { codeAndTakebackEnds, cut, type HistoryMark } from '../../bench/hops.ts';

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

test("the code's and the takeback's last keys, wherever the phones pressed a split code again", (t) => {
  t.deepEqual(codeAndTakebackEnds([...'*22600*1*22600']), { codeEnd: 5, takebackEnd: 7 });
  // `*2`, a pause past the digit timeout, then the code pressed whole again.
  t.deepEqual(codeAndTakebackEnds([...'*2*22600*1*22600']), { codeEnd: 7, takebackEnd: 9 });
  // The takeback's `*` split from its `1`, and pressed again.
  t.deepEqual(codeAndTakebackEnds([...'*22600**1']), { codeEnd: 5, takebackEnd: 8 });
  t.deepEqual(codeAndTakebackEnds([...'*22600']), {});
});
