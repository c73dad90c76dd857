// `npm run bundle:workflows -- FILE`: bundles the workflow code once (webpack) and writes it to FILE, for
// WORKFLOW_BUNDLE: every workflow worker then loads it instead of bundling at start (a restart takes seconds).
import path from 'node:path';
import { writeWorkflowBundle } from '../workers/workflow-worker.ts';

const file = process.argv[2];
if (!file || file.startsWith('-')) {
  console.error('usage: npm run bundle:workflows -- FILE');
  process.exit(2);
}
await writeWorkflowBundle(path.resolve(file));
console.log(
  `workflow bundle written to ${path.resolve(file)}; run the workflow workers with WORKFLOW_BUNDLE=${path.resolve(file)}`,
);
