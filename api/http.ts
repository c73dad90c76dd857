// Cross-cutting HTTP behaviour: request IDs, body checks, Kazoo's 405, and turning every failure into the envelope.
import { randomUUID } from 'node:crypto';
import type { Context, ErrorHandler, Handler, Hono, MiddlewareHandler } from 'hono';
import { methodOverride as honoMethodOverride } from 'hono/method-override';
import { HTTPException } from 'hono/http-exception';
import { StoreError, StoreUnavailableError } from '../store/index.ts';
import type { ClientAddresses } from './client.ts';
import type { ApiConfig, ApiEnv } from './context.ts';
import { failure, success } from './envelope.ts';
import { ApiError } from './errors.ts';
import { redactUrl } from './log.ts';
import type { ApiLogger } from './log.ts';
import { fieldName } from './validation.ts';
import { routePath } from 'hono/route';
import { apiRequests, apiRequestSeconds } from '../observability/metrics.ts';

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;
const SAFE_REQUEST_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Every answer carries a request ID (the client's X-Request-ID when it is a sane one), as Kazoo's, and every log line
 * about the request carries it too, with the method and the URL (secret query parameters blanked). No answer may be stored by a cache: the envelope echoes the caller's token, and
 * some answers carry a new token or API key.
 */
export function requestContext(logger: ApiLogger, clients: ClientAddresses): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const given = c.req.header('X-Request-ID');
    const id = given && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
    c.set('requestId', id);
    c.set('client', clients.of(c));
    c.set('log', logger.child({ request_id: id, method: c.req.method, url: redactUrl(c.req.url) }));
    c.set('authToken', '');
    c.header('X-Request-ID', id);
    c.header('Cache-Control', 'no-store');
    await next();
  };
}

/** Counts and times every request by method, route pattern (never the path itself: IDs stay out) and status. */
export function requestMetrics(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const pattern = routePath(c);
    const route = pattern === '*' || pattern === '/*' ? 'unmatched' : pattern;
    const method = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)$/.test(c.req.method) ? c.req.method : 'OTHER';
    apiRequests.inc({ method, route, status: String(c.res.status) });
    apiRequestSeconds.observe({ method, route }, (performance.now() - started) / 1000);
  };
}

/**
 * The path of the first container (object or array, in document order) nested deeper than `maxDepth`, the body's own
 * object counting as depth 1; undefined when the value is shallow enough. Iterative, so no input can exhaust the stack
 * here, and the recursive code after it (zod, the stores' merges, JSON.stringify) never sees more than `maxDepth`.
 */
export function pathTooDeep(value: unknown, maxDepth: number): (string | number)[] | undefined {
  const stack: [unknown, (string | number)[]][] = [[value, []]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [v, path] = item;
    if (v === null || typeof v !== 'object') continue;
    if (path.length >= maxDepth) return path;
    const children: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    for (let i = children.length - 1; i >= 0; i--) {
      const [key, child] = children[i] as [string | number, unknown];
      stack.push([child, [...path, key]]);
    }
  }
  return undefined;
}

/**
 * A body, when there is one, is read as JSON whatever its Content-Type says, as Kazoo does: its documented `curl -d`
 * sends `application/x-www-form-urlencoded`, and some clients send no Content-Type at all. A body that is not JSON is
 * Kazoo's 400 (`{"json": {"invalid": ...}}`), answered here in the envelope. Once parsed, the request says
 * `application/json`, so the routes' validators read it (Hono's own would read a body of another type as `{}`). JSON
 * nested deeper than `maxDepth` is a 400 naming the first field past the limit.
 */
export function jsonBodyGuard(maxDepth: number): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS') return next();
    const text = await c.req.text();
    if (text.trim() === '') return next();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw ApiError.malformedJson(err instanceof Error ? err.message : undefined);
    }
    const tooDeep = pathTooDeep(body, maxDepth);
    if (tooDeep) {
      throw ApiError.validation({
        [fieldName(tooDeep)]: { maxDepth: { message: `nested deeper than ${maxDepth} levels`, target: maxDepth } },
      });
    }
    const mediaType = (c.req.header('Content-Type') ?? '').split(';')[0]?.trim() ?? '';
    if (!JSON_MEDIA_TYPE.test(mediaType)) c.req.raw.headers.set('Content-Type', 'application/json');
    await next();
  };
}

/** The methods a client may tunnel through a POST (Kazoo's `verb`). */
const TUNNELLED_METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'PATCH']);

/**
 * Method override, as Kazoo reads it: a POST carrying `verb=PUT` (or DELETE...) in its query string, or an
 * `X-HTTP-Method-Override` header, is routed as that method (for clients and proxies that only send GET and POST).
 * Only a POST is overridden: a GET link must never delete anything. Run first, before anything reads the body.
 */
export function methodOverride(app: Hono<ApiEnv>): MiddlewareHandler<ApiEnv> {
  const byHeader = honoMethodOverride({ app, header: 'X-HTTP-Method-Override' });
  const byQuery = honoMethodOverride({ app, query: 'verb' });
  return async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const header = c.req.header('X-HTTP-Method-Override');
    const verb = header ?? c.req.query('verb');
    if (verb === undefined) return next();
    if (!TUNNELLED_METHODS.has(verb.toUpperCase())) {
      throw ApiError.field(
        header !== undefined ? 'X-HTTP-Method-Override' : 'verb',
        'enum',
        'must be one of GET, PUT, POST, DELETE, PATCH',
      );
    }
    if (verb.toUpperCase() === 'POST') return next();
    if (header !== undefined) {
      c.req.raw.headers.set('X-HTTP-Method-Override', verb.toUpperCase());
      return byHeader(c, next);
    }
    return byQuery(c, next);
  };
}

/** For a known path: 405 with `Allow` for any other method (Hono would answer 404), and OPTIONS answered. */
export function otherMethods(config: ApiConfig, allowed: readonly string[]): Handler<ApiEnv> {
  const allow = [...allowed, 'OPTIONS'];
  return (c) => {
    if (c.req.method === 'OPTIONS') {
      c.header('Allow', allow.join(', '));
      return success(c, config, {});
    }
    throw ApiError.methodNotAllowed(allow);
  };
}

export function errorHandler(config: ApiConfig): ErrorHandler<ApiEnv> {
  return (err, c) => failure(c, config, toApiError(err, c));
}

function toApiError(err: unknown, c: Context<ApiEnv>): ApiError {
  if (err instanceof ApiError) return err;
  // The store's refusals that need no route's judgement: a malformed value, a limit reached.
  if (err instanceof StoreError && err.code === 'invalid') return ApiError.field(err.field, 'invalid', err.message);
  if (err instanceof StoreError && err.code === 'limit') {
    return ApiError.validation({ [err.field]: { maxItems: { message: err.message, target: err.target } } });
  }
  if (err instanceof StoreUnavailableError) {
    // The database is away (a restart, a failover): the client may try again; the details stay in the log.
    c.get('log').warn({ err: err.message }, 'store unavailable');
    return ApiError.storeUnavailable();
  }
  if (err instanceof HTTPException) {
    if (err.status === 413) return ApiError.tooLarge(Number(c.req.header('Content-Length')) || 0);
    if (err.status === 400) return ApiError.malformedJson();
    if (err.status === 401) return ApiError.invalidCredentials();
    return new ApiError(err.status, err.message || 'error', { message: err.message });
  }
  c.get('log').error({ err }, 'internal error');
  return ApiError.internal();
}
