// A call workflow and a transfer workflow that end on their first task: what a test of the order Temporal hands out
// first tasks needs.
export async function callWorkflow(): Promise<void> {}
export async function transferWorkflow(): Promise<void> {}
