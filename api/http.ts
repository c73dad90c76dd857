// Cross-cutting HTTP behaviour: request IDs, body checks, Kazoo's 405, and turning every failure into the envelope.
import { randomUUID } from 'node:crypto';
import type { Context, ErrorHandler, Handler, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { StoreError } from '../store/index.ts';
import type { ClientAddresses } from './client.ts';
import type { ApiConfig, ApiEnv } from './context.ts';
import { failure, success } from './envelope.ts';
import { ApiError } from './errors.ts';
import { redactUrl } from './log.ts';
import type { ApiLogger } from './log.ts';
import { fieldName } from './validation.ts';

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
 * A body, when there is one, must be JSON: the wrong content type is a 415 and bad JSON a 400, both answered here in
 * the envelope (Hono's own validator would silently read a non-JSON body as `{}`, or answer in plain text). JSON
 * nested deeper than `maxDepth` is a 400 naming the first field past the limit.
 */
export function jsonBodyGuard(maxDepth: number): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS') return next();
    const text = await c.req.text();
    if (text.trim() === '') return next();
    const mediaType = (c.req.header('Content-Type') ?? '').split(';')[0]?.trim() ?? '';
    if (!JSON_MEDIA_TYPE.test(mediaType)) throw ApiError.unsupportedMediaType();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw ApiError.malformedJson();
    }
    const tooDeep = pathTooDeep(body, maxDepth);
    if (tooDeep) {
      throw ApiError.validation({
        [fieldName(tooDeep)]: { maxDepth: { message: `nested deeper than ${maxDepth} levels`, target: maxDepth } },
      });
    }
    await next();
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
  if (err instanceof HTTPException) {
    if (err.status === 413) return ApiError.tooLarge(Number(c.req.header('Content-Length')) || 0);
    if (err.status === 400) return ApiError.malformedJson();
    if (err.status === 401) return ApiError.invalidCredentials();
    return new ApiError(err.status, err.message || 'error', { message: err.message });
  }
  c.get('log').error({ err }, 'internal error');
  return ApiError.internal();
}
