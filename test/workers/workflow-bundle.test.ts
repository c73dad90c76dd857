// The workflow bundle as the worker's reused V8 context loads it: the workflows, the interceptors and everything they
// import (re2js among them) are evaluated once, when the context is made, and shared by every workflow, instead of
// once more for each new workflow (workers/workflow-worker.ts, `workflowBundle`).
import path from 'node:path';
import test from 'ava';
import { parseWorkflowCode } from '@temporalio/worker/lib/worker.js';
import { ReusableVMWorkflowCreator } from '@temporalio/worker/lib/workflow/reusable-vm.js';
import { workflowBundle } from '../../workers/workflow-worker.ts';

/** webpack names a module by its path from the directory it bundled in (the repository's root here). */
const moduleId = (file: string) => `./${path.relative(process.cwd(), file).split(path.sep).join('/')}`;

type ModuleCache = Record<string, { exports?: unknown } | undefined>;

/** The SDK's reused context, with a look at its module cache (which, before any workflow exists, is the shared one). */
class Inspected extends ReusableVMWorkflowCreator {
  get sharedModules(): ModuleCache {
    return (this.context as unknown as { __webpack_module_cache__: ModuleCache }).__webpack_module_cache__;
  }
}

test('the workflows and what they import are in the shared module cache before any workflow runs', async (t) => {
  const creator = await Inspected.create(parseWorkflowCode((await workflowBundle()).code), 5000, new Set(), undefined);
  try {
    const shared = creator.sharedModules;
    const root = path.resolve(import.meta.dirname, '../..');
    for (const file of [
      'workflows/index.ts',
      'workflows/call.ts',
      'workflows/transfer.ts',
      'workflows/interceptors.ts',
    ]) {
      t.truthy(shared[moduleId(path.join(root, file))], `${file} is evaluated once and shared`);
    }
    t.truthy(
      shared[moduleId(path.join(root, 'node_modules/re2js/build/index.js'))],
      're2js is evaluated once and shared',
    );
    const workflows = shared[moduleId(path.join(root, 'workflows/index.ts'))]?.exports as Record<string, unknown>;
    t.is(typeof workflows.callWorkflow, 'function');
    t.is(typeof workflows.transferWorkflow, 'function');
  } finally {
    await creator.destroy();
  }
});
