// The workflow worker's slot settings: fixed slots unless WORKFLOW_TASK_SLOTS_MAX is above WORKFLOW_TASK_SLOTS, then
// the SDK's resource-based supplier between them at the CPU target.
import test from 'ava';
import { workflowTaskSlots } from '../../workers/workflow-worker.ts';

test('fixed slots unless WORKFLOW_TASK_SLOTS_MAX is above WORKFLOW_TASK_SLOTS', (t) => {
  t.deepEqual(workflowTaskSlots({ taskSlots: 2 }), { maxConcurrentWorkflowTaskExecutions: 2 });
  t.deepEqual(workflowTaskSlots({}), { maxConcurrentWorkflowTaskExecutions: 2 });
  t.deepEqual(workflowTaskSlots({ taskSlots: 4, taskSlotsMax: 4 }), { maxConcurrentWorkflowTaskExecutions: 4 });
});

test('above it, resource-based workflow slots between the two at the CPU target; no activity slots to speak of', (t) => {
  const tuned = workflowTaskSlots({ taskSlots: 2, taskSlotsMax: 8, taskSlotsCpu: 0.7 });
  t.is(tuned.maxConcurrentWorkflowTaskExecutions, undefined);
  t.like(tuned.tuner, {
    workflowTaskSlotSupplier: {
      type: 'resource-based',
      minimumSlots: 2,
      maximumSlots: 8,
      tunerOptions: { targetCpuUsage: 0.7 },
    },
    activityTaskSlotSupplier: { type: 'fixed-size', numSlots: 1 },
  });
});
