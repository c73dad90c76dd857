// zod at the edge, Kazoo's errors out: every issue becomes `{field: {code: {message}}}` under 400 "validation error".
import type { z } from 'zod';
import { ApiError } from './errors.ts';
import type { ValidationErrors } from './errors.ts';

/** Kazoo names fields by dotted path, with dots inside keys escaped. */
export function fieldName(path: readonly PropertyKey[]): string {
  const segments = path.map((s) => String(s).replaceAll('.', '%2E'));
  // Bodies are wrapped in Kazoo's `{"data": {...}}`; fields are named relative to `data`.
  if (segments[0] === 'data' && segments.length > 1) segments.shift();
  return segments.join('.') || 'data';
}

/** The value at `path` in `input` (undefined when any step is missing). */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/**
 * The JSON-schema keyword Kazoo would report for this zod issue. A missing value is `required`, a present one of the
 * wrong type `type`: told by the issue's `input` when parsed with reportInput, else by looking at the parsed value.
 */
function kazooCode(issue: z.core.$ZodIssue, input: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      if ('input' in issue) return 'type';
      return valueAt(input, issue.path) === undefined ? 'required' : 'type';
    case 'invalid_value':
      return 'enum';
    case 'invalid_format':
      return 'pattern';
    case 'invalid_key':
      return 'pattern';
    case 'too_small':
      return issue.origin === 'string' ? 'minLength' : issue.origin === 'array' ? 'minItems' : 'minimum';
    case 'too_big':
      return issue.origin === 'string' ? 'maxLength' : issue.origin === 'array' ? 'maxItems' : 'maximum';
    case 'unrecognized_keys':
      return 'additionalProperties';
    case 'invalid_union':
      // A discriminated union (action, module) whose discriminator matched no option.
      return 'discriminator' in issue ? 'enum' : 'invalid';
    case 'custom': {
      const code = (issue.params as { code?: unknown } | undefined)?.code;
      return typeof code === 'string' ? code : 'invalid';
    }
    default:
      return 'invalid';
  }
}

function message(issue: z.core.$ZodIssue, code: string): string {
  if (code === 'required') return 'Field is required but missing';
  if (issue.code === 'invalid_key') {
    const inner = issue.issues[0];
    return inner ? `Invalid key: ${inner.message}` : issue.message;
  }
  return issue.message;
}

/**
 * Kazoo's validation errors for zod's issues. `input` is the value parsed, when the issues were made without
 * reportInput (it tells a missing field from a wrong one).
 */
export function toValidationErrors(issues: readonly z.core.$ZodIssue[], input?: unknown): ValidationErrors {
  const errors: ValidationErrors = {};
  const add = (field: string, code: string, msg: string) => {
    errors[field] ??= {};
    (errors[field] as Record<string, { message: string }>)[code] ??= { message: msg };
  };
  for (const issue of issues) {
    const code = kazooCode(issue, input);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add(fieldName([...issue.path, key]), code, 'Field is not allowed here');
    } else {
      add(fieldName(issue.path), code, message(issue, code));
    }
  }
  return errors;
}

/**
 * What a route does with a request its schemas refuse (the routes' validators at the edge, api/openapi.ts): Kazoo's
 * 400 "validation error", every bad field named.
 */
export function validationHook(
  result: { success: true } | { success: false; error: z.ZodError; data?: unknown },
): void {
  if (!result.success) throw ApiError.validation(toValidationErrors(result.error.issues, result.data));
}
