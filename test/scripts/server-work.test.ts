// The Temporal server's own work for a call (bench/server-work.ts): its counters read from Prometheus' text format,
// a call's share of them, and what counts as a write.
import test from 'ava';
import { callWork, difference, isWrite, serverReading, totals } from '../../bench/server-work.ts';

const text = (signals: number, updates: number, polls: number) => `
# HELP service_requests service_requests counter
# TYPE service_requests counter
service_requests{namespace="default",operation="SignalWithStartWorkflowExecution",service_name="frontend"} ${signals}
service_requests{namespace="default",operation="SignalWithStartWorkflowExecution",service_name="history"} ${signals}
service_requests{namespace="default",operation="PollWorkflowExecutionHistory",service_name="frontend"} 40
service_requests{namespace="temporal_system",operation="PollWorkflowTaskQueue",service_name="frontend"} ${polls}
service_requests{namespace="default",operation="PollWorkflowTaskQueue",service_name="frontend"} ${polls}
persistence_requests{namespace="default",operation="UpdateWorkflowExecution",service_name="history"} ${updates}
persistence_requests{namespace="system",operation="ListNamespaces",service_name="history"} ${polls}
persistence_requests_latency_count{namespace="default",operation="UpdateWorkflowExecution",service_name="history"} 99
`;

test('a reading: requests and persistence operations by service and operation, the server’s own namespace and an observer’s requests left out', (t) => {
  const r = serverReading(text(5, 20, 3));
  t.deepEqual([...r.entries()].sort(), [
    ['persistence history ListNamespaces', 3],
    ['persistence history UpdateWorkflowExecution', 20],
    ['request frontend PollWorkflowTaskQueue', 3],
    ['request frontend SignalWithStartWorkflowExecution', 5],
    ['request history SignalWithStartWorkflowExecution', 5],
  ]);
});

test('a call’s work: its window less an idle window as long, never below 0', (t) => {
  const before = serverReading(text(5, 20, 3));
  const after = serverReading(text(10, 45, 5));
  const idle = serverReading(text(10, 46, 8));
  const work = callWork(difference(after, before), difference(idle, after));
  t.deepEqual(Object.fromEntries(work), {
    'request frontend SignalWithStartWorkflowExecution': 5,
    'request history SignalWithStartWorkflowExecution': 5,
    'persistence history UpdateWorkflowExecution': 24,
  });
  t.deepEqual(totals(work), { frontend: 5, internal: 5, persistenceWrites: 24, persistenceReads: 0 });
});

test('writes are the operations that change the database', (t) => {
  for (const op of [
    'UpdateWorkflowExecution',
    'CreateWorkflowExecution',
    'CreateTasks',
    'CompleteTasksLessThan',
    'RangeCompleteTimerTasks',
    'AppendHistoryNodes',
    'DeleteWorkflowExecution',
    'UpsertWorkflowExecution',
  ])
    t.true(isWrite(op), op);
  for (const op of ['GetWorkflowExecution', 'ReadHistoryBranch', 'ListNamespaces', 'GetCurrentExecution', 'GetTasks'])
    t.false(isWrite(op), op);
});
