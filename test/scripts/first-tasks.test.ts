// The first-tasks benchmark's slot settings: what the workflow worker's environment gets, and a clear error otherwise.
import test from 'ava';
import { parseSlotSetting, slotEnv } from '../../bench/first-tasks.ts';

test('a slot setting is N fixed, or N-M resource-based with an optional CPU target', (t) => {
  t.deepEqual(slotEnv(parseSlotSetting('4')), { WORKFLOW_TASK_SLOTS: '4', WORKFLOW_TASK_SLOTS_MAX: '0' });
  t.deepEqual(slotEnv(parseSlotSetting('2-8')), { WORKFLOW_TASK_SLOTS: '2', WORKFLOW_TASK_SLOTS_MAX: '8' });
  t.deepEqual(slotEnv(parseSlotSetting(' 2-8@0.7 ')), {
    WORKFLOW_TASK_SLOTS: '2',
    WORKFLOW_TASK_SLOTS_MAX: '8',
    WORKFLOW_TASK_SLOTS_CPU: '0.7',
  });
});

test('a setting the worker would refuse is refused with what is wrong', (t) => {
  t.throws(() => parseSlotSetting('1'), { message: /at least 2 slots/ });
  t.throws(() => parseSlotSetting('4-4'), { message: /maximum must exceed 4/ });
  t.throws(() => parseSlotSetting('2-8@0'), { message: /CPU target must be above 0/ });
  t.throws(() => parseSlotSetting('2-8@1.5'), { message: /is not N, N-M or N-M@CPU/ });
  t.throws(() => parseSlotSetting('auto'), { message: /is not N, N-M or N-M@CPU/ });
});
