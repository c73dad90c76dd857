// Kazoo's response envelope on every answer, success or error.
import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ApiConfig, ApiEnv } from './context.ts';
import type { ApiError } from './errors.ts';
import type { PageKeys } from './pagination.ts';

export interface Envelope {
  status: 'success' | 'error';
  data: unknown;
  /** On errors only: the HTTP status as a string, and Kazoo's message. */
  error?: string;
  message?: string;
  request_id: string;
  auth_token: string;
  revision?: string;
  timestamp: string;
  version: string;
  node: string;
  /** Handoff's extras where `data` is a string Kazoo clients compare (POST channel actions); see README. */
  handoff?: unknown;
  /** Kazoo's pagination keys, on paginated listings. */
  page_size?: number;
  start_key?: string;
  next_start_key?: string;
}

type Meta = Pick<ApiConfig, 'node' | 'version'>;

/** Kazoo's timestamp: ISO-8601 to the second. */
function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

type EnvelopeBase = Omit<Envelope, 'status' | 'data' | 'handoff' | 'error' | 'message'>;

function base(c: Context<ApiEnv>, meta: Meta): EnvelopeBase {
  return {
    request_id: c.get('requestId') ?? '',
    auth_token: c.get('authToken') ?? '',
    timestamp: timestamp(),
    version: meta.version,
    node: meta.node,
  };
}

export interface SuccessOptions<S extends ContentfulStatusCode, H> {
  status?: S;
  handoff?: H;
  /**
   * Kazoo's `revision` (and `ETag`), sent for documents and listings (crossbar_doc's revisions; Kazoo sends none for
   * channels or tokens): `'content'` makes it from the data itself, so it changes exactly when the data does.
   */
  revision?: string | 'content';
  page?: PageKeys;
}

/** A success envelope: typed by its data and `handoff`, so each route's answer is checked against its declaration. */
export interface SuccessBody<T, H> extends EnvelopeBase {
  status: 'success';
  data: T;
  handoff?: H;
}

export function success<T, H = never, S extends ContentfulStatusCode = 200>(
  c: Context<ApiEnv>,
  meta: Meta,
  data: T,
  options: SuccessOptions<S, H> = {},
) {
  const body: SuccessBody<T, H> = { status: 'success', data, ...options.page, ...base(c, meta) };
  if (options.revision !== undefined) {
    body.revision =
      options.revision === 'content' ? createHash('md5').update(JSON.stringify(data)).digest('hex') : options.revision;
    c.header('ETag', `"${body.revision}"`);
  }
  if (options.handoff !== undefined) body.handoff = options.handoff;
  return c.json(body, (options.status ?? 200) as S);
}

export function failure(c: Context<ApiEnv>, meta: Meta, err: ApiError): Response {
  const body: Envelope = {
    status: 'error',
    error: String(err.status),
    message: err.message,
    data: err.data,
    ...base(c, meta),
  };
  for (const [name, value] of Object.entries(err.headers)) c.header(name, value);
  return c.json(body, err.status as ContentfulStatusCode);
}
