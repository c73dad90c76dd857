// The one logger of every Handoff process (pino): JSON lines for machines, or lines for a person on a terminal
// (LOG_FORMAT), at LOG_LEVEL. Every role, the ESL layer and the Temporal SDK (its own logs, the workflows' `log`, the
// activities' `log`) write through it, so one line carries the same fields whoever wrote it: `callId`, `transferId`,
// `accountId`, `node` where they apply. Secrets never reach a line (tokens, keys, passwords, the password in an
// esl:// URL, secret query parameters); with LOG_REDACT_NUMBERS, caller numbers are masked too.
import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { Logger as TemporalLogger, LogLevel as TemporalLogLevel, LogMetadata } from '@temporalio/common';

export type { Logger };

export interface LogSettings {
  LOG_LEVEL: pino.LevelWithSilent;
  LOG_FORMAT?: 'json' | 'pretty';
  LOG_REDACT_NUMBERS: boolean;
}

export const CENSOR = '[redacted]';

/** Query parameters that carry secrets. Kazoo reads a token from `auth_token`; Handoff does not, but clients send it. */
const SECRET_PARAMS = new Set(['auth_token', 'api_key', 'token', 'password', 'credentials', 'x-auth-token']);

/** Fields blanked wherever they appear in a logged object, at any depth (compared without case, `-` and `_`). */
const SECRET_FIELDS = new Set(
  [
    'auth_token',
    'authToken',
    'api_key',
    'apiKey',
    'token',
    'password',
    'passwd',
    'credentials',
    'authorization',
    'x-auth-token',
    'secret',
    'jwt_secret',
    'HANDOFF_JWT_SECRET',
    'TEMPORAL_API_KEY',
    'PAYLOAD_CODEC_KEYS',
    'ADMIN_TOKEN',
    'CODEC_SERVER_AUTH',
  ].map(fold),
);

/** Fields that hold a caller's number (or digits that dial one), masked when LOG_REDACT_NUMBERS is on. */
const NUMBER_FIELD = /number|^target$|^collected$|dial_?string|destination|^digits?$/i;

function fold(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, '');
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

/** The request's path and query string, with the values of secret parameters blanked: what a log line may show. */
export function redactUrl(url: string): string {
  let rest = url;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(url);
  if (scheme) rest = url.slice(scheme[0].length) || '/';
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  if (q < 0) return rest;
  const query = rest
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return SECRET_PARAMS.has(decodeName(name)) ? `${name}=${CENSOR}` : pair;
    })
    .join('&');
  return `${rest.slice(0, q)}?${query}`;
}

/** `esl://:ClueCon@host` → `esl://:[redacted]@host`; secret query parameters in any URL blanked. */
function redactString(value: string): string {
  let out = value.replace(/([a-z][a-z0-9+.-]*:\/\/)([^/@\s]*:)[^/@\s]*@/gi, `$1$2${CENSOR}@`);
  if (out.includes('?') && /[?&][^=&\s]+=/.test(out)) {
    out = out.replace(/\?[^\s#]*/g, (query) => redactUrl(`/${query}`).slice(1));
  }
  return out;
}

/** Every run of three or more digits keeps its last two: `1001` → `**01`, `loopback/2600/default` → `loopback/**00/default`. */
export function maskNumber(value: string): string {
  return value.replace(/\d{3,}/g, (run) => '*'.repeat(run.length - 2) + run.slice(-2));
}

/** A copy of a log object with secrets blanked and (maskNumbers) numbers masked; depth-limited, cycles cut. */
export function scrub(value: unknown, maskNumbers: boolean, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error || depth > 8 || seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => scrub(v, maskNumbers, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (SECRET_FIELDS.has(fold(k))) out[k] = v === undefined || v === '' ? v : CENSOR;
    else if (maskNumbers && NUMBER_FIELD.test(k) && (typeof v === 'string' || typeof v === 'number'))
      out[k] = maskNumber(String(v));
    else out[k] = scrub(v, maskNumbers, depth + 1, seen);
  }
  return out;
}

export interface LoggerOptions {
  /** Where the lines go (default: stdout). */
  destination?: DestinationStream;
  /** Fields on every line (e.g. the role). */
  base?: Record<string, unknown>;
  /** Overrides LOG_FORMAT (tests). */
  format?: 'json' | 'pretty';
}

/** Pretty on a terminal, JSON otherwise, unless LOG_FORMAT says which. */
export function logFormat(settings: Pick<LogSettings, 'LOG_FORMAT'>): 'json' | 'pretty' {
  return settings.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json');
}

export function createLogger(settings: LogSettings, options: LoggerOptions = {}): Logger {
  const format = options.format ?? logFormat(settings);
  const destination =
    options.destination ??
    (format === 'pretty'
      ? pretty({
          colorize: process.stdout.isTTY,
          translateTime: 'HH:MM:ss.l',
          ignore: 'pid,hostname',
          sync: true,
        })
      : pino.destination({ sync: false }));
  const maskNumbers = settings.LOG_REDACT_NUMBERS;
  return pino(
    {
      level: settings.LOG_LEVEL,
      base: { ...options.base },
      // Secret fields are blanked and numbers masked on every line, whatever object a caller passes.
      formatters: { log: (obj) => scrub(obj, maskNumbers) as Record<string, unknown> },
      hooks: {
        // The message itself may carry a URL (an ESL address, a request): its secrets are blanked too.
        logMethod(args, method) {
          const mapped = args.map((a) =>
            typeof a === 'string' ? (maskNumbers ? maskNumber(redactString(a)) : redactString(a)) : a,
          );
          return method.apply(this, mapped as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

/** Fields that name what a workflow is about: `call:<uuid>` → callId, `transfer:<a>:<b>` → transferId. */
export function workflowIds(workflowId: unknown): { callId?: string; transferId?: string } {
  if (typeof workflowId !== 'string') return {};
  if (workflowId.startsWith('call:')) return { callId: workflowId.slice('call:'.length) };
  if (workflowId.startsWith('transfer:')) return { transferId: workflowId };
  return {};
}

const TEMPORAL_LEVELS: Record<TemporalLogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * The Temporal SDK's logger (Runtime.install): its own lines, Core's forwarded ones, and those of workflow and activity
 * code, each with the callId or transferId of the workflow it is about.
 */
export function temporalLogger(logger: Logger): TemporalLogger {
  const write = (given: TemporalLogLevel, message: string, meta?: LogMetadata) => {
    // A worker that polls one kind of task only says so at WARN: by design here (node workers run no workflows).
    const level = /^No (activities|workflows|Nexus services) registered/.test(message) ? 'DEBUG' : given;
    const fields: Record<string, unknown> = {};
    if (meta) {
      for (const [k, v] of Object.entries(meta)) if (v !== undefined) fields[k] = v;
      Object.assign(fields, workflowIds(meta['workflowId']));
    }
    logger[TEMPORAL_LEVELS[level]](fields, message);
  };
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}

/** The `(message, fields)` logger the ESL layer and the ingest take, writing through pino. */
export interface MessageLogger {
  debug(msg: string, meta?: Record<string, unknown>): void;
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
}

export function messageLogger(logger: Logger): MessageLogger {
  return {
    debug: (msg, meta) => logger.debug(meta ?? {}, msg),
    info: (msg, meta) => logger.info(meta ?? {}, msg),
    warn: (msg, meta) => logger.warn(meta ?? {}, msg),
    error: (msg, meta) => logger.error(meta ?? {}, msg),
  };
}
