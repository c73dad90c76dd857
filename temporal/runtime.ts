// The Temporal SDK's Runtime of this process, installed once (Runtime.install may run only once per process, and
// `npm start` runs every role in one): the SDK's logs, Core's forwarded ones and those of workflow and activity code go
// through the process's logger; Core's metrics (temporal_*) are exported in the Prometheus format on a private loopback
// port, which /metrics (observability/server.ts) reads and serves beside Handoff's own: one scrape target per process.
import net from 'node:net';
import { Runtime } from '@temporalio/worker';
import type { LogLevel } from '@temporalio/common';
import { temporalLogger, type Logger } from '../observability/log.ts';

export interface InstalledRuntime {
  /** Where Core's Prometheus exporter answers (loopback only); undefined when metrics are off. */
  coreMetricsUrl?: string;
}

let installed: InstalledRuntime | undefined;

const CORE_LEVELS: Record<string, LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'ERROR',
  silent: 'ERROR',
};

/** A free loopback port, for a server that takes an address rather than port 0 (Core's exporter, the dev server). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Installs the Runtime with `logger` (and Core's own logs at WARN and above, or the logger's level if higher) and, unless
 * `metrics` is false, Core's Prometheus exporter. Later calls return the first installation unchanged.
 */
export async function installRuntime(logger: Logger, opts: { metrics?: boolean } = {}): Promise<InstalledRuntime> {
  if (installed) return installed;
  const coreLevel = CORE_LEVELS[logger.level] ?? 'WARN';
  const port = opts.metrics === false ? undefined : await freePort();
  Runtime.install({
    logger: temporalLogger(logger),
    // Every entry point stops its workers itself, in order (API, node workers, workflow worker, connections).
    shutdownSignals: [],
    telemetryOptions: {
      logging: {
        filter: { core: coreLevel === 'TRACE' || coreLevel === 'DEBUG' || coreLevel === 'INFO' ? 'WARN' : coreLevel },
        forward: {},
      },
      ...(port
        ? {
            metrics: {
              prometheus: {
                bindAddress: `127.0.0.1:${port}`,
                countersTotalSuffix: true,
                unitSuffix: true,
                useSecondsForDurations: true,
              },
            },
          }
        : {}),
    },
  });
  installed = { coreMetricsUrl: port ? `http://127.0.0.1:${port}/metrics` : undefined };
  return installed;
}
