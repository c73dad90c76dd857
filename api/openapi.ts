// The OpenAPI 3.1 document, generated from the same zod schemas that validate requests (zod 4's toJSONSchema).
import { z } from 'zod';
import { apiAuthRequest, tokenInfo } from './schemas/auth.ts';
import { accountCreateRequest, accountUpdateRequest, accountView, apiKeyView } from './schemas/accounts.ts';
import { channelAction, channelListItem, channelView, transferView } from './schemas/channels.ts';
import { errorEnvelope, successEnvelope } from './schemas/envelope.ts';
import { mediaCreateRequest, mediaView } from './schemas/media.ts';
import { metaflowsDoc, metaflowsRequest } from './schemas/metaflows.ts';

type JsonSchema = Record<string, unknown>;

interface Operation {
  method: 'get' | 'put' | 'post' | 'delete';
  path: string;
  tag: string;
  summary: string;
  description?: string;
  request?: z.ZodType;
  response: z.ZodType;
  status?: number;
  auth?: boolean;
  errors: number[];
}

const ERROR_TEXT: Record<number, string> = {
  400: 'validation error (data: {field: {code: {message}}}; a body that is not JSON: json.invalid), or invalid data',
  401: 'invalid_credentials: missing, forged, expired or revoked token',
  403: "forbidden: the account is not the token's or a descendant",
  404: 'bad identifier (data: [id]) or not_found',
  405: 'invalid_method: known path, wrong method (see Allow)',
  409: 'conflict',
  413: 'request entity too large',
  429: 'too_many_requests: too many failed logins from this client; see Retry-After',
  503: 'service unavailable: the call engine (Temporal) cannot be reached',
};

const A = '{accountId}';
const PAGINATED =
  "Paginated, Kazoo's way: query `page_size` (default 50, at most 1000), `start_key` (a previous page's `next_start_key`), `paginate=false` (at most 1000 items, else 416).";
const ACCOUNT_ERRORS = [401, 403, 404, 405];
const BODY_ERRORS = [400, 413];

const ops: Operation[] = [
  {
    method: 'put',
    path: '/v2/api_auth',
    tag: 'auth',
    summary: 'Exchange an API key for a token',
    description:
      "The token is in the envelope's `auth_token`. Send it as `X-Auth-Token`, the `auth_token` query parameter, or `Authorization: Bearer`. A key nobody holds is 404 bad identifier (Kazoo's answer).",
    request: apiAuthRequest,
    response: tokenInfo,
    status: 201,
    auth: false,
    errors: [401, 404, ...BODY_ERRORS, 405, 429],
  },
  {
    method: 'get',
    path: '/v2/token_auth',
    tag: 'auth',
    summary: 'Check the presented token',
    response: tokenInfo,
    errors: [401],
  },
  {
    method: 'delete',
    path: '/v2/token_auth',
    tag: 'auth',
    summary: 'Revoke the presented token',
    response: z.object({}),
    errors: [401],
  },
  {
    method: 'get',
    path: `/v2/accounts/${A}`,
    tag: 'accounts',
    summary: 'Read an account',
    response: accountView,
    errors: ACCOUNT_ERRORS,
  },
  {
    method: 'put',
    path: `/v2/accounts/${A}`,
    tag: 'accounts',
    summary: 'Create a child account of {accountId}',
    description: 'Choose the ID (e.g. the Kazoo account ID carried by the calls) or let Handoff generate one.',
    request: accountCreateRequest,
    response: accountView,
    status: 201,
    errors: [...ACCOUNT_ERRORS, ...BODY_ERRORS, 409],
  },
  {
    method: 'post',
    path: `/v2/accounts/${A}`,
    tag: 'accounts',
    summary: "Update an account's name and media defaults",
    request: accountUpdateRequest,
    response: accountView,
    errors: [...ACCOUNT_ERRORS, ...BODY_ERRORS],
  },
  {
    method: 'get',
    path: `/v2/accounts/${A}/children`,
    tag: 'accounts',
    summary: 'List the direct children',
    description: PAGINATED,
    response: z.array(accountView),
    errors: ACCOUNT_ERRORS,
  },
  {
    method: 'get',
    path: `/v2/accounts/${A}/descendants`,
    tag: 'accounts',
    summary: 'List every descendant',
    description: PAGINATED,
    response: z.array(accountView),
    errors: ACCOUNT_ERRORS,
  },
  {
    method: 'put',
    path: `/v2/accounts/${A}/api_key`,
    tag: 'accounts',
    summary: "Issue a new API key for the account (revokes the account's other keys and their tokens); shown once",
    description: 'Only a token of an account above {accountId} may ask: its own token gets 403.',
    response: apiKeyView,
    status: 201,
    errors: ACCOUNT_ERRORS,
  },
  {
    method: 'get',
    path: `/v2/accounts/${A}/channels`,
    tag: 'channels',
    summary: "The account's live calls",
    description: 'Served from the live-channel projection the ESL ingest keeps: current, and cheap.',
    response: z.array(channelListItem),
    errors: ACCOUNT_ERRORS,
  },
  {
    method: 'get',
    path: `/v2/accounts/${A}/channels/{callId}`,
    tag: 'channels',
    summary: 'One call, its bridged peer and its transfer state (under data.handoff)',
    response: channelView,
    errors: ACCOUNT_ERRORS,
  },
  {
    method: 'post',
    path: `/v2/accounts/${A}/channels/{callId}`,
    tag: 'channels',
    summary: 'Run an action on the call: transfer, cancel_transfer, hangup, break',
    description:
      'The action is delivered to the call\'s workflow and the answer is its verdict. `data` is Kazoo\'s string ("transfer initiated"); the transfer\'s ID and phase are in the envelope\'s `handoff` key. Refusals: 400 (not bridged: `other_leg_call_id.required`; not answered; bad field), 404 unknown call, 409 a transfer already runs (or none runs, for cancel_transfer; or the Idempotency-Key was used for another request), 503 engine unreachable. A transfer the call accepted but did not answer within 10 s is 202 "transfer accepted" with handoff.status pending. Send an `Idempotency-Key` header to retry a transfer safely (the same request again gets the first answer); without it an identical request within 30 s counts as the same. `action` may also be given in the query string or at the top level of the body.',
    request: z.object({ data: channelAction }),
    response: z.string().meta({ example: 'transfer initiated' }),
    errors: [...ACCOUNT_ERRORS, ...BODY_ERRORS, 409, 503],
  },
  ...(
    [
      ['account', `/v2/accounts/${A}/metaflows`],
      ['user', `/v2/accounts/${A}/users/{ownerId}/metaflows`],
      ['device', `/v2/accounts/${A}/devices/{ownerId}/metaflows`],
    ] as const
  ).flatMap(([level, path]): Operation[] => [
    {
      method: 'get',
      path,
      tag: 'metaflows',
      summary: `The ${level}'s metaflows ({} when none)`,
      response: metaflowsDoc,
      errors: ACCOUNT_ERRORS,
    },
    {
      method: 'post',
      path,
      tag: 'metaflows',
      summary: `Replace the ${level}'s metaflows`,
      description:
        "Kazoo's metaflows schemas: what they accept is stored as posted (extra keys kept). Feature codes apply account → device → user, later wins. Handoff runs `transfer` (attended: a metaflow's transfer_type is ignored, as Konami ignores it), `blind_transfer`, `resume`, `hangup`; Kazoo's other modules are stored, inactive. The envelope's `handoff` names inactive patterns and entries, ignored fields, and media IDs played through MEDIA_URL_TEMPLATE or falling back to the default.",
      request: metaflowsRequest,
      response: metaflowsDoc,
      errors: [...ACCOUNT_ERRORS, ...BODY_ERRORS],
    },
    {
      method: 'delete',
      path,
      tag: 'metaflows',
      summary: `Remove the ${level}'s metaflows`,
      response: z.object({}),
      errors: ACCOUNT_ERRORS,
    },
  ]),
  {
    method: 'get',
    path: `/v2/accounts/${A}/media`,
    tag: 'media',
    summary: "The account's media",
    description: PAGINATED,
    response: z.array(mediaView),
    errors: ACCOUNT_ERRORS,
  },
  {
    method: 'put',
    path: `/v2/accounts/${A}/media`,
    tag: 'media',
    summary: 'Register a stream under a media ID (usable as moh/ringback by the account and its descendants)',
    request: mediaCreateRequest,
    response: mediaView,
    status: 201,
    errors: [...ACCOUNT_ERRORS, ...BODY_ERRORS, 409],
  },
  {
    method: 'get',
    path: `/v2/accounts/${A}/media/{mediaId}`,
    tag: 'media',
    summary: 'One media',
    response: mediaView,
    errors: ACCOUNT_ERRORS,
  },
  {
    method: 'delete',
    path: `/v2/accounts/${A}/media/{mediaId}`,
    tag: 'media',
    summary: 'Delete a media',
    response: z.object({}),
    errors: ACCOUNT_ERRORS,
  },
];

/** One schema, its named parts pointing at the components (zod writes them as local `$defs`). */
function jsonSchema(schema: z.ZodType): JsonSchema {
  const s = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const { $schema: _schema, $defs: _defs, ...rest } = s;
  return JSON.parse(JSON.stringify(rest).replaceAll('"#/$defs/', '"#/components/schemas/')) as JsonSchema;
}

/** Named schemas become components; inline ones are converted with references to them. */
function components(): Record<string, JsonSchema> {
  // Every schema given an `id` with .meta() is in the global registry.
  const registry = z.globalRegistry as unknown as z.core.$ZodRegistry<{ id?: string }>;
  const all = z.toJSONSchema(registry, {
    io: 'input',
    unrepresentable: 'any',
    uri: (id: string) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, JsonSchema> };
  return Object.fromEntries(
    Object.entries(all.schemas).map(([id, s]) => {
      const { $schema: _schema, $id: _id, ...rest } = s;
      return [id, rest];
    }),
  );
}

function inline(schema: z.ZodType): JsonSchema {
  const id = z.globalRegistry.get(schema)?.id;
  if (typeof id === 'string') return { $ref: `#/components/schemas/${id}` };
  return jsonSchema(schema);
}

function pathParams(path: string): JsonSchema[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
}

export function buildOpenApi(version: string): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of ops) {
    const responses: Record<string, unknown> = {
      [String(op.status ?? 200)]: {
        description: 'success',
        content: { 'application/json': { schema: inline(successEnvelope(op.response, op.summary)) } },
      },
    };
    for (const code of op.errors) {
      responses[String(code)] = {
        description: ERROR_TEXT[code] ?? 'error',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } },
      };
    }
    const operation: Record<string, unknown> = {
      tags: [op.tag],
      summary: op.summary,
      parameters: pathParams(op.path),
      responses,
    };
    if (op.description) operation.description = op.description;
    if (op.request) {
      operation.requestBody = { required: true, content: { 'application/json': { schema: inline(op.request) } } };
    }
    if (op.auth === false) operation.security = [];
    (paths[op.path] ??= {})[op.method] = operation;
  }
  // The envelope schema is registered under its id once it has been used.
  void errorEnvelope;
  void transferView;
  return {
    openapi: '3.1.0',
    info: {
      title: 'Handoff API',
      version,
      description:
        "Durable in-call attended transfer for FreeSWITCH/Kazoo. Kazoo Crossbar compatible: same paths, envelope, status codes and data values where Kazoo defines them. Handoff's extras live under a key named `handoff`: inside `data` when data is an object, in the envelope when data is a Kazoo string.",
    },
    servers: [{ url: '/' }],
    security: [{ authToken: [] }, { bearer: [] }],
    tags: [{ name: 'auth' }, { name: 'accounts' }, { name: 'channels' }, { name: 'metaflows' }, { name: 'media' }],
    paths,
    components: {
      schemas: components(),
      securitySchemes: {
        authToken: { type: 'apiKey', in: 'header', name: 'X-Auth-Token' },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
    },
  };
}
