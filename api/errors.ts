// Kazoo's error catalogue, as one exception type the app's error handler turns into the envelope.

/** Kazoo's validation error map: `{field: {code: {message, ...}}}`. */
export type ValidationErrors = Record<string, Record<string, { message: string; [extra: string]: unknown }>>;

/** A database restart or failover takes a few seconds. */
const STORE_RETRY_AFTER_S = 2;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly data: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** 400 "validation error": every bad field, named. */
  static validation(errors: ValidationErrors): ApiError {
    return new ApiError(400, 'validation error', errors);
  }

  /** One field, one code. */
  static field(field: string, code: string, message: string): ApiError {
    return ApiError.validation({ [field]: { [code]: { message } } });
  }

  static invalidCredentials(): ApiError {
    return new ApiError(401, 'invalid_credentials', { message: 'invalid credentials' });
  }

  static forbidden(message = 'forbidden'): ApiError {
    return new ApiError(403, 'forbidden', { message });
  }

  /** 404 for a resource that does not exist or that the caller may not see (Kazoo's "bad identifier"). */
  static badIdentifier(id: string): ApiError {
    return new ApiError(404, 'bad identifier', [id]);
  }

  static notFound(): ApiError {
    return new ApiError(404, 'not_found', { message: 'not found' });
  }

  static methodNotAllowed(allowed: readonly string[]): ApiError {
    return new ApiError(405, 'invalid_method', { message: 'method not allowed' }, { Allow: allowed.join(', ') });
  }

  static conflict(field: string, code: string, message: string, extra: Record<string, unknown> = {}): ApiError {
    return new ApiError(409, 'conflict', { [field]: { [code]: { message, ...extra } } });
  }

  static tooLarge(limitBytes: number): ApiError {
    return new ApiError(413, 'request entity too large', {
      message: `the request body is larger than ${limitBytes} bytes`,
    });
  }

  /** Kazoo's answer to a body that is not JSON (api_util's invalid envelope): a validation error on `json`. */
  static malformedJson(reason?: string): ApiError {
    const message = reason ? `All JSON must be valid: ${reason}` : 'All JSON must be valid';
    return ApiError.validation({ json: { invalid: { message, target: 'body' } } });
  }

  /** Kazoo's 429, with how long to wait. */
  static tooManyRequests(retryAfterS: number, message: string): ApiError {
    return new ApiError(429, 'too_many_requests', { message }, { 'Retry-After': String(retryAfterS) });
  }

  static unavailable(message: string): ApiError {
    return new ApiError(503, 'service unavailable', { message });
  }

  /**
   * Kazoo's answer when its datastore cannot be reached (crossbar_util's response_datastore_timeout: 503 "datastore
   * timeout"), with how long to wait before trying again.
   */
  static storeUnavailable(retryAfterS = STORE_RETRY_AFTER_S): ApiError {
    return new ApiError(
      503,
      'datastore timeout',
      { message: 'the data store is unavailable; try again' },
      { 'Retry-After': String(retryAfterS) },
    );
  }

  static internal(): ApiError {
    return new ApiError(500, 'internal error', { message: 'internal error' });
  }
}
