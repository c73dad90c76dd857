// Metaflows on the account, a user or a device (Kazoo's cb_metaflows): GET returns the document or {}, POST replaces
// it whole, DELETE removes it. Users and devices are addressed by ID; Handoff keeps no user or device records.
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { z } from 'zod';
import { ID_PATTERN } from '../../contracts/grammar.ts';
import type { MetaflowLevel, MetaflowScope, MetaflowsDoc } from '../../store/index.ts';
import type { ApiEnv } from '../context.ts';
import { success } from '../envelope.ts';
import { ApiError } from '../errors.ts';
import type { ValidationErrors } from '../errors.ts';
import { otherMethods } from '../http.ts';
import { ACCOUNT_ERRORS, BODY_ERRORS, answer, errors, jsonBody, routes } from '../openapi.ts';
import { ignoredFields, inactiveEntries } from '../../contracts/metaflow-entries.ts';
import { inactivePatterns, type FeatureCodeLimits } from '../../contracts/patterns.ts';
import { accountParams } from '../schemas/common.ts';
import { successEnvelope } from '../schemas/envelope.ts';
import { metaflowsDoc, metaflowsReport, metaflowsRequest } from '../schemas/metaflows.ts';
import type { MetaflowsInput } from '../schemas/metaflows.ts';
import { fieldName } from '../validation.ts';
import type { MediaNotes } from '../views.ts';
import type { RouteDeps } from './deps.ts';
import { mediaNote, mediaRef } from './media-check.ts';

/**
 * Handoff's limits on a document (tenant safety, README Security): the number of patterns, the length of pattern and
 * number keys. Checked before any pattern is compiled.
 */
function checkLimits(doc: MetaflowsInput, limits: FeatureCodeLimits): void {
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
}

const metaflowsAnswer = successEnvelope(metaflowsDoc, metaflowsReport);
const ownerParams = accountParams.extend({ ownerId: z.string().meta({ description: "The user's or device's ID" }) });

export function metaflowRoutes({ store, config }: RouteDeps) {
  const app = routes();

  /**
   * What Handoff does with the document: the patterns and entries it stores but does not run, and why; what it stores
   * but ignores; media IDs of its transfers that resolve nowhere (the account's default plays). In the envelope, not in
   * `data`: `data` is the document itself, which clients post back as it is.
   */
  async function report(accountId: string, doc: MetaflowsDoc): Promise<z.output<typeof metaflowsReport>> {
    const groups = doc as { numbers?: unknown; patterns?: unknown };
    const patterns = doc.patterns && typeof doc.patterns === 'object' ? (doc.patterns as Record<string, unknown>) : {};
    const media: MediaNotes = {};
    for (const group of ['numbers', 'patterns'] as const) {
      const entries = groups[group];
      if (!entries || typeof entries !== 'object') continue;
      for (const [key, entry] of Object.entries(entries as Record<string, { module?: unknown; data?: unknown }>)) {
        const data = entry?.data;
        if (!data || typeof data !== 'object') continue;
        for (const field of ['moh', 'ringback'] as const) {
          const value = (data as Record<string, unknown>)[field];
          if (typeof value !== 'string') continue;
          const note = mediaNote(value, await mediaRef(store, config, accountId, value));
          if (note) media[`${group}.${key}.data.${field}`] = note;
        }
      }
    }
    return {
      inactive_patterns: inactivePatterns(patterns, config.featureCodes),
      inactive_entries: inactiveEntries(groups, config.featureCodes),
      ignored: ignoredFields(groups),
      media,
    };
  }

  function scopeOf(c: Context<ApiEnv>, level: MetaflowLevel): MetaflowScope {
    const accountId = c.req.param('accountId') as string;
    if (level === 'account') return { accountId, level };
    const ownerId = c.req.param('ownerId') ?? '';
    if (!ID_PATTERN.test(ownerId)) throw ApiError.badIdentifier(ownerId);
    return { accountId, level, ownerId };
  }

  const paths: [string, MetaflowLevel][] = [
    ['/accounts/{accountId}/metaflows', 'account'],
    ['/accounts/{accountId}/users/{ownerId}/metaflows', 'user'],
    ['/accounts/{accountId}/devices/{ownerId}/metaflows', 'device'],
  ];
  for (const [path, level] of paths) {
    const params = level === 'account' ? accountParams : ownerParams;
    app.openapi(
      createRoute({
        method: 'get',
        path,
        tags: ['metaflows'],
        summary: `The ${level}'s metaflows ({} when none)`,
        request: { params },
        responses: { 200: answer('The document', metaflowsAnswer), ...errors(...ACCOUNT_ERRORS) },
      }),
      async (c) => {
        const scope = scopeOf(c, level);
        const doc = (await store.getMetaflows(scope)) ?? {};
        return success(c, config, doc, { handoff: await report(scope.accountId, doc), revision: 'content' });
      },
    );
    app.openapi(
      createRoute({
        method: 'post',
        path,
        tags: ['metaflows'],
        summary: `Replace the ${level}'s metaflows`,
        description:
          "Kazoo's metaflows schemas: what they accept is stored as posted (extra keys kept). Feature codes apply account → device → user, later wins. Handoff runs `transfer` (attended: a metaflow's transfer_type is ignored, as Konami ignores it), `blind_transfer`, `resume`, `hangup`; Kazoo's other modules are stored, inactive. The envelope's `handoff` names inactive patterns and entries, ignored fields, and media IDs played through MEDIA_URL_TEMPLATE or falling back to the default.",
        request: { params, body: jsonBody(metaflowsRequest) },
        responses: {
          200: answer('The stored document', metaflowsAnswer),
          ...errors(...ACCOUNT_ERRORS, ...BODY_ERRORS),
        },
      }),
      async (c) => {
        const scope = scopeOf(c, level);
        const doc = c.req.valid('json').data;
        checkLimits(doc, config.featureCodes);
        const stored = await store.setMetaflows(scope, doc as MetaflowsDoc);
        return success(c, config, stored, { handoff: await report(scope.accountId, stored), revision: 'content' });
      },
    );
    app.openapi(
      createRoute({
        method: 'delete',
        path,
        tags: ['metaflows'],
        summary: `Remove the ${level}'s metaflows`,
        request: { params },
        responses: { 200: answer('Removed', successEnvelope(z.object({}).strict())), ...errors(...ACCOUNT_ERRORS) },
      }),
      async (c) => {
        await store.deleteMetaflows(scopeOf(c, level));
        return success(c, config, {});
      },
    );
    app.all(path.replaceAll(/\{(\w+)\}/g, ':$1'), otherMethods(config, ['GET', 'POST', 'DELETE']));
  }
  return app;
}
