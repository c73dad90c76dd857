// The Temporal UI's Stack Trace tab (the SDK's `__stack_trace` query) for call workflows: off by default, because the
// SDK captures a stack for every promise a workflow creates (WORKFLOW_STACK_TRACES, patches/ for the SDK's switch);
// on when asked for. Either way the call runs. Fails if the SDK's patch was not applied (the query would answer with
// stacks by default).
import anyTest, { type TestFn, type ExecutionContext } from 'ava';
import { callWorkflowId } from '../../contracts/ids.ts';
import { placeCall, startEngine, type Engine } from '../support/engine.ts';

const test = anyTest as TestFn<{ e?: Engine }>;

test.afterEach.always(async (t) => {
  await t.context.e?.stop();
  t.context.e = undefined;
});

/** The stack trace query's answer, or its refusal, once the call's workflow has run its first task. */
async function stackTraceOf(
  t: ExecutionContext,
  e: Engine,
  callId: string,
): Promise<{ stack: string } | { refused: string }> {
  const handle = e.client.workflow.getHandle(callWorkflowId(callId));
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      return { stack: await handle.query<string>('__stack_trace') };
    } catch (err) {
      const message = String((err as Error).message ?? err);
      if (/stack traces are not enabled/i.test(message)) return { refused: message };
      // The call's workflow may not exist yet, or not have run its first task: ask again.
      if (Date.now() > deadline) throw err;
      t.log(`not answered yet: ${message}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

test.serial('by default a call workflow keeps no stack traces: the query says they are not enabled', async (t) => {
  const e = (t.context.e = await startEngine());
  t.false(e.config.WORKFLOW_STACK_TRACES);
  const { alice } = await placeCall(e);
  const answer = await stackTraceOf(t, e, alice.uuid);
  t.true('refused' in answer, `a stack came back: ${JSON.stringify(answer)}`);
});

test.serial('WORKFLOW_STACK_TRACES=true: the query shows where the call workflow waits', async (t) => {
  const e = (t.context.e = await startEngine({ WORKFLOW_STACK_TRACES: 'true' }));
  const { alice } = await placeCall(e);
  const answer = await stackTraceOf(t, e, alice.uuid);
  if (!('stack' in answer)) return t.fail(`refused: ${answer.refused}`);
  // A waiting workflow's stack names the workflow's own source (the bundle's source map resolves it).
  t.regex(answer.stack, /workflows\/call\.ts/);
});
