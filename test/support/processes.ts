// Roles of the engine in processes of their own (bin/handoff.ts), as in production, for tests that kill them: the
// node worker (ESL connections, ingest, switch activities) and the workflow worker. Each resolves once it runs.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../config/index.ts';
import type { Engine } from './engine.ts';

function startRole(
  role: 'nodes' | 'workflows',
  env: Record<string, string>,
  ready: string,
  wrapper: string[] = [],
): Promise<ChildProcess> {
  const command = [process.execPath, '--import', 'tsx', path.join(repoRoot, 'bin', 'handoff.ts'), '--role', role];
  const [file, ...args] = [...wrapper, ...command];
  const child = spawn(file!, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} process did not start in 60 s`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes(ready)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`${role} process exited with ${code}`)));
  });
}

/** A node worker for the engine's switch; several of them make an HA pair (both ingests deliver every event). */
export function startNodeProcess(e: Engine, env: Record<string, string> = {}): Promise<ChildProcess> {
  const { node } = e;
  return startRole(
    'nodes',
    {
      TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS ?? '',
      WORKFLOW_TASK_QUEUE: e.config.WORKFLOW_TASK_QUEUE,
      FREESWITCH_NODES: `${node.name}=esl://:${encodeURIComponent(node.password)}@${node.host}:${node.port}`,
      HANDOFF_DB: e.dbFile,
      SHUTDOWN_GRACE_MS: '1000',
      // The node worker resolves transfers (ring time, digit and bridge timeouts): the engine's test settings.
      TARGET_RING_TIMEOUT_S: String(e.config.TARGET_RING_TIMEOUT_S),
      DIGIT_TIMEOUT_MS: String(e.config.DIGIT_TIMEOUT_MS),
      BRIDGE_CONFIRM_TIMEOUT_MS: String(e.config.BRIDGE_CONFIRM_TIMEOUT_MS),
      ...env,
    },
    'node worker running',
  );
}

/** A workflow worker on the engine's task queue; `wrapper` runs it under a command (e.g. `taskset -c 0`). */
export function startWorkflowProcess(
  e: Engine,
  env: Record<string, string> = {},
  wrapper: string[] = [],
): Promise<ChildProcess> {
  return startRole(
    'workflows',
    {
      TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS ?? '',
      WORKFLOW_TASK_QUEUE: e.config.WORKFLOW_TASK_QUEUE,
      STICKY_SCHEDULE_TO_START_MS: String(e.config.STICKY_SCHEDULE_TO_START_MS),
      SHUTDOWN_GRACE_MS: '1000',
      ...env,
    },
    'workflow worker running',
    wrapper,
  );
}

/** A node worker process a test kills and starts again; whatever runs at the end is killed. */
export interface KillableNode {
  kill(): void;
  start(): Promise<void>;
}

export async function withNodeProcess(e: Engine, body: (node: KillableNode) => Promise<void>): Promise<void> {
  let child: ChildProcess | undefined = await startNodeProcess(e);
  try {
    await body({
      kill: () => {
        child?.kill('SIGKILL');
        child = undefined;
      },
      start: async () => {
        child = await startNodeProcess(e);
      },
    });
  } finally {
    child?.kill('SIGKILL');
  }
}
