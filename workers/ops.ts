// What every Handoff process sets up before its roles: the logger (LOG_LEVEL, LOG_FORMAT), the Temporal SDK's Runtime
// writing through it with Core's metrics on, and the operations port (METRICS_PORT: /metrics, /healthz, /readyz,
// the node workers' admin endpoints). `npm start` does it once for all its roles.
import { ConfigError, type Config } from '../config/index.ts';
import { createLogger, type Logger } from '../observability/log.ts';
import { startOpsServer, type OpsServer } from '../observability/server.ts';
import { installRuntime } from '../temporal/runtime.ts';

export interface ProcessOps {
  logger: Logger;
  ops: OpsServer;
}

export async function startProcessOps(
  config: Config,
  opts: { role: string; temporal?: boolean; logger?: Logger },
): Promise<ProcessOps> {
  const logger = opts.logger ?? createLogger(config, { base: { role: opts.role } });
  const runtime = opts.temporal === false ? {} : await installRuntime(logger);
  let ops: OpsServer;
  try {
    ops = await startOpsServer({
      host: config.METRICS_HOST,
      port: config.METRICS_PORT,
      logger,
      coreMetricsUrl: runtime.coreMetricsUrl,
      adminToken: config.ADMIN_TOKEN,
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    throw new ConfigError(
      `METRICS_PORT: ${config.METRICS_HOST}:${config.METRICS_PORT} is in use; give each process on a host its own port (0: any free one)`,
    );
  }
  return { logger, ops };
}

/**
 * A start-up or shutdown line (what runs where), written whatever LOG_LEVEL says unless it is `silent`: a person or a
 * supervisor starting the process waits for it.
 */
export function announce(logger: Logger, message: string, fields: Record<string, unknown> = {}): void {
  if (logger.level === 'silent') return;
  logger.child({}, { level: 'info' }).info(fields, message);
}
