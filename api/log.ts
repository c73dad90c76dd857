// The API's log: the process's logger (observability/log.ts), one JSON line per event, each with the request's ID,
// which is also the envelope's `request_id`: a client quoting it finds the details an error answer leaves out. Secrets
// never reach a line: tokens and API keys are not logged, query strings are logged with secret parameters blanked,
// and secret fields are censored should an object carrying one ever be logged.
import type { DestinationStream, Logger, LevelWithSilent } from 'pino';
import { createLogger } from '../observability/log.ts';

export { redactUrl } from '../observability/log.ts';

export type ApiLogger = Logger;

export interface ApiLoggerOptions {
  /** Where the lines go (default: stdout). */
  destination?: DestinationStream;
  level?: LevelWithSilent;
  redactNumbers?: boolean;
}

/** A logger of the API's own (tests, benchmarks); a process running the API passes its logger instead. */
export function createApiLogger(options: ApiLoggerOptions = {}): ApiLogger {
  return createLogger(
    { LOG_LEVEL: options.level ?? 'info', LOG_REDACT_NUMBERS: options.redactNumbers ?? false },
    { destination: options.destination, base: { name: 'handoff-api' }, format: 'json' },
  );
}
