// Metaflows on the account, a user or a device (Kazoo's cb_metaflows): GET returns the document or {}, POST replaces
// it whole, DELETE removes it. Users and devices are addressed by ID; Handoff keeps no user or device records.
import { Hono } from 'hono';
import type { Context } from 'hono';
import { ID_PATTERN } from '../../contracts/grammar.ts';
import type { MetaflowLevel, MetaflowScope, MetaflowsDoc, Store } from '../../store/index.ts';
import type { ApiEnv } from '../context.ts';
import { success } from '../envelope.ts';
import { ApiError } from '../errors.ts';
import type { ValidationErrors } from '../errors.ts';
import { otherMethods } from '../http.ts';
import { compilePattern, inactivePatterns, type FeatureCodeLimits } from '../../contracts/patterns.ts';
import { metaflowsRequest } from '../schemas/metaflows.ts';
import type { MetaflowsInput } from '../schemas/metaflows.ts';
import { isStreamUrl } from '../../contracts/grammar.ts';
import { fieldName, validate } from '../validation.ts';
import type { RouteDeps } from './deps.ts';

type Entry = NonNullable<MetaflowsInput['numbers']>[string];

/**
 * What the schema alone cannot check: the configured limits (key lengths, number of patterns), a transfer must have a
 * target, and its media must exist for the account. Size limits first: no pattern is compiled before they hold.
 */
async function checkEntries(
  store: Store,
  accountId: string,
  doc: MetaflowsInput,
  limits: FeatureCodeLimits,
): Promise<void> {
  const errors: ValidationErrors = {};
  const add = (path: string[], code: string, message: string) => {
    (errors[fieldName(path)] ??= {})[code] = { message };
  };
  const patternKeys = Object.keys(doc.patterns ?? {});
  if (patternKeys.length > limits.maxPatterns) {
    add(['patterns'], 'maxItems', `at most ${limits.maxPatterns} patterns (FEATURE_CODE_MAX_PATTERNS)`);
  }
  for (const key of patternKeys) {
    if (key.length > limits.maxPatternLength) {
      add(
        ['patterns', key],
        'maxLength',
        `a pattern is at most ${limits.maxPatternLength} characters (FEATURE_CODE_PATTERN_MAX_LENGTH)`,
      );
    }
  }
  for (const key of Object.keys(doc.numbers ?? {})) {
    if (key.length > limits.maxDigits) {
      add(['numbers', key], 'maxLength', `a number is at most ${limits.maxDigits} digits (FEATURE_CODE_MAX_DIGITS)`);
    }
  }
  if (Object.keys(errors).length > 0) throw ApiError.validation(errors);
  const groups: ['numbers' | 'patterns', Record<string, Entry> | undefined][] = [
    ['numbers', doc.numbers],
    ['patterns', doc.patterns],
  ];
  for (const [group, entries] of groups) {
    for (const [key, entry] of Object.entries(entries ?? {})) {
      if (entry.module !== 'transfer') continue;
      const data = entry.data ?? {};
      if (data.target === undefined && capturesNothing(group, key, limits)) {
        add(
          [group, key, 'data', 'target'],
          'required',
          'A transfer needs data.target, or a pattern with a capture group',
        );
      }
      for (const field of ['moh', 'ringback'] as const) {
        const value = data[field];
        if (value !== undefined && !isStreamUrl(value) && !(await store.findMediaForAccount(accountId, value))) {
          add([group, key, 'data', field], 'not_found', `no media ${value} in this account or its ancestors`);
        }
      }
    }
  }
  if (Object.keys(errors).length > 0) throw ApiError.validation(errors);
}

/** A number, or a pattern RE2 runs without a capture group (an inactive pattern is never run: it needs no target). */
function capturesNothing(group: 'numbers' | 'patterns', key: string, limits: FeatureCodeLimits): boolean {
  if (group === 'numbers') return true;
  const compiled = compilePattern(key, limits);
  return compiled.active && compiled.groups === 0;
}

/** Kazoo's injected `captures: ["no_match"]` would become a literal target: captures come from digits. */
function withoutCaptures(doc: MetaflowsInput): MetaflowsDoc {
  const out: MetaflowsDoc = { ...doc };
  for (const group of ['numbers', 'patterns'] as const) {
    const entries = doc[group];
    if (!entries) continue;
    out[group] = Object.fromEntries(
      Object.entries(entries).map(([key, entry]) => {
        if (entry.module !== 'transfer' || !entry.data) return [key, entry];
        const { captures: _captures, ...data } = entry.data;
        return [key, { ...entry, data }];
      }),
    );
  }
  return out;
}

export function metaflowRoutes({ store, config }: RouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  /**
   * The patterns stored but not run, and why. In the envelope, not in `data`: `data` is the document itself, which
   * clients post back as it is.
   */
  function patternReport(doc: MetaflowsDoc): { inactive_patterns: Record<string, string> } {
    const patterns = doc.patterns && typeof doc.patterns === 'object' ? (doc.patterns as Record<string, unknown>) : {};
    return { inactive_patterns: inactivePatterns(patterns, config.featureCodes) };
  }

  function scopeOf(c: Context<ApiEnv>, level: MetaflowLevel): MetaflowScope {
    const accountId = c.req.param('accountId') as string;
    if (level === 'account') return { accountId, level };
    const ownerId = c.req.param('ownerId') ?? '';
    if (!ID_PATTERN.test(ownerId)) throw ApiError.badIdentifier(ownerId);
    return { accountId, level, ownerId };
  }

  const paths: [string, MetaflowLevel][] = [
    ['/accounts/:accountId/metaflows', 'account'],
    ['/accounts/:accountId/users/:ownerId/metaflows', 'user'],
    ['/accounts/:accountId/devices/:ownerId/metaflows', 'device'],
  ];
  for (const [path, level] of paths) {
    app.get(path, async (c) => {
      const doc = (await store.getMetaflows(scopeOf(c, level))) ?? {};
      return success(c, config, doc, { handoff: patternReport(doc) });
    });
    app.post(path, validate('json', metaflowsRequest), async (c) => {
      const scope = scopeOf(c, level);
      const doc = c.req.valid('json').data;
      await checkEntries(store, scope.accountId, doc, config.featureCodes);
      const stored = await store.setMetaflows(scope, withoutCaptures(doc));
      return success(c, config, stored, { handoff: patternReport(stored) });
    });
    app.delete(path, async (c) => {
      await store.deleteMetaflows(scopeOf(c, level));
      return success(c, config, {});
    });
    app.all(path, otherMethods(config, ['GET', 'POST', 'DELETE']));
  }
  return app;
}
