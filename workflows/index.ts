// Every workflow type the workflow worker registers.
export { callWorkflow } from './call.ts';
export { transferWorkflow } from './transfer.ts';
