// zod at the edge, Kazoo's errors out: every issue becomes `{field: {code: {message}}}` under 400 "validation error".
import { zValidator } from '@hono/zod-validator';
import type { ValidationTargets } from 'hono';
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

/** The JSON-schema keyword Kazoo would report for this zod issue. */
function kazooCode(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      // Parsed with reportInput: a missing value is the only invalid_type without an `input`.
      return 'input' in issue ? 'type' : 'required';
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

export function toValidationErrors(issues: readonly z.core.$ZodIssue[]): ValidationErrors {
  const errors: ValidationErrors = {};
  const add = (field: string, code: string, msg: string) => {
    errors[field] ??= {};
    (errors[field] as Record<string, { message: string }>)[code] ??= { message: msg };
  };
  for (const issue of issues) {
    const code = kazooCode(issue);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add(fieldName([...issue.path, key]), code, 'Field is not allowed here');
    } else {
      add(fieldName(issue.path), code, message(issue, code));
    }
  }
  return errors;
}

/** `zValidator` that answers Kazoo's 400 and parses with `reportInput` (to tell missing from wrong). */
export function validate<T extends z.ZodType, Target extends keyof ValidationTargets>(target: Target, schema: T) {
  return zValidator(
    target,
    schema,
    (result) => {
      if (!result.success) throw ApiError.validation(toValidationErrors(result.error.issues));
    },
    // The cast: zod-validator's result type is conditional on the generic schema and cannot be resolved here.
    { validationFunction: (s, value) => s.safeParseAsync(value, { reportInput: true }) as never },
  );
}
