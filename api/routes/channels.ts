// Channels: the account's live calls (from the store's projection, current and cheap), one call with its transfer
// state (projection + the call's workflow), and actions delivered to the call's workflow so the answer tells the truth.
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { z } from 'zod';
import { ID_PATTERN } from '../../contracts/grammar.ts';
import type { ChannelRecord } from '../../store/index.ts';
import { authenticate } from '../auth.ts';
import type { ApiEnv } from '../context.ts';
import type { CallSummary, TransferAsk } from '../engine.ts';
import {
  CallNotFoundError,
  EngineFailedError,
  EngineUnavailableError,
  NoTransferError,
  TransferEndingError,
  RequestConflictError,
  TransferRefusedError,
} from '../engine.ts';
import { success } from '../envelope.ts';
import { ApiError } from '../errors.ts';
import { AUTO_REQUEST_WINDOW_MS } from '../../contracts/requests.ts';
import { IDEMPOTENCY_HEADER, transferUpdateId } from '../idempotency.ts';
import { otherMethods } from '../http.ts';
import type { ApiLogger } from '../log.ts';
import { ACCOUNT_ERRORS, BODY_ERRORS, answer, errors, jsonBody, routes } from '../openapi.ts';
import {
  CHANNEL_ACTIONS,
  UNSUPPORTED_KAZOO_ACTIONS,
  actionHandoff,
  channelAction,
  channelActionEnvelope,
  channelListItem as channelListSchema,
  channelView as channelSchema,
  metaflowAction as metaflowActionSchema,
  metaflowActionEnvelope,
} from '../schemas/channels.ts';
import type { ChannelAction } from '../schemas/channels.ts';
import { accountParams } from '../schemas/common.ts';
import { successEnvelope } from '../schemas/envelope.ts';
import { toValidationErrors } from '../validation.ts';
import { acceptedView, channelListItem, channelView, transferView } from '../views.ts';
import type { ActionHandoff, MediaNotes } from '../views.ts';
import { TRANSFER_TYPE_KEYS } from '../../contracts/metaflow-entries.ts';
import { metaflowSchema } from '../schemas/metaflows.ts';
import type { RouteDeps } from './deps.ts';
import { mediaNote, mediaRef } from './media-check.ts';

/** How a client learns the outcome of a transfer request it got no final answer to. */
const ASK_AGAIN =
  `send the same request again (with the same ${IDEMPOTENCY_HEADER}, or the same body within ` +
  `${AUTO_REQUEST_WINDOW_MS / 1000} s): it starts nothing twice and gets the outcome`;

/** Call IDs are FreeSWITCH UUIDs or SIP Call-IDs; anything longer or with control characters cannot be one. */
const CALL_ID = /^[\x21-\x7e]{1,255}$/;

/** The field a refusal is about, when the engine's message names one (`moh: ...`). */
function refusalField(message: string, fallback: string): string {
  const m = /^(target|takeback_dtmf|moh|ringback|timeout|transfer_type):/.exec(message);
  return m?.[1] ?? fallback;
}

/**
 * What a client is told when the engine fails: fixed words. The engine's own (a gRPC status text, a server address, a
 * namespace, a stack) go to the log under the request's ID, which the answer's envelope carries.
 */
export const ENGINE_UNAVAILABLE = 'the call engine is unavailable; try again';
export const ENGINE_FAILED = 'the call engine failed';

/** The engine's answers, as Kazoo-shaped HTTP errors; failures are logged with the engine's words. */
export function engineError(callId: string, err: unknown, log: ApiLogger): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof CallNotFoundError) return ApiError.badIdentifier(callId);
  if (err instanceof TransferRefusedError) {
    switch (err.reason) {
      case 'transfer_in_progress':
        return ApiError.conflict('transfer', 'in_progress', err.message);
      case 'not_bridged':
        // Kazoo's own answer to a transfer on a channel that is not bridged.
        return ApiError.field('other_leg_call_id', 'required', 'Channel is not bridged');
      case 'not_answered':
        return ApiError.field('answered', 'required', 'Channel is not answered');
      case 'call_ended':
        return ApiError.field('call_id', 'ended', 'The call has ended');
      case 'invalid_target':
        return ApiError.field(refusalField(err.message, 'target'), 'invalid', err.message);
      case 'invalid_takeback_dtmf':
        return ApiError.field('takeback_dtmf', 'invalid', err.message);
      case 'invalid_media':
        return ApiError.field(refusalField(err.message, 'moh'), 'invalid', err.message);
      case 'node_draining':
        return ApiError.unavailable(err.message);
    }
  }
  if (err instanceof NoTransferError) return ApiError.conflict('transfer', 'not_running', err.message);
  if (err instanceof TransferEndingError) {
    return ApiError.conflict('transfer', 'ended', err.message, {
      transfer_id: err.transfer.transferId,
      outcome: err.transfer.outcome,
      ...(err.transfer.reason ? { reason: err.transfer.reason } : {}),
    });
  }
  if (err instanceof RequestConflictError) return ApiError.conflict(IDEMPOTENCY_HEADER, 'reused', err.message);
  if (err instanceof EngineUnavailableError) {
    log.warn({ err, call_id: callId }, 'call engine unavailable');
    return ApiError.unavailable(ENGINE_UNAVAILABLE);
  }
  log.error({ err, call_id: callId }, 'call engine failed');
  if (err instanceof EngineFailedError) return new ApiError(500, 'engine error', { message: ENGINE_FAILED });
  return ApiError.internal();
}

function toAsk(a: Extract<ChannelAction, { action: 'transfer' }>): TransferAsk {
  const ask: TransferAsk = { target: a.target };
  if (a.takeback_dtmf !== undefined) ask.takebackDtmf = a.takeback_dtmf;
  if (a.moh !== undefined) ask.moh = a.moh;
  if (a.ringback !== undefined) ask.ringback = a.ringback;
  if (a.timeout !== undefined) ask.timeoutS = a.timeout;
  if (a.partial_failure !== undefined) ask.partialFailure = a.partial_failure;
  // No default is injected: the engine's default is attended.
  const type = a.transfer_type ?? a['transfer-type'] ?? a['Transfer-Type'];
  if (type !== undefined) ask.type = type;
  return ask;
}

/**
 * The channel action a metaflow module is on a live call: `transfer` (attended, as Konami: its transfer type is
 * ignored), `blind_transfer`, `resume` (cancels the running transfer), `hangup`, `break`. Any other module: 400.
 */
function metaflowAction(
  module: string,
  data: Record<string, unknown>,
): { action: string; data: Record<string, unknown> } {
  const transferFields = ['target', 'takeback_dtmf', 'moh', 'ringback', 'timeout', 'partial_failure'];
  const pick = () => Object.fromEntries(transferFields.filter((k) => data[k] !== undefined).map((k) => [k, data[k]]));
  switch (module) {
    case 'transfer':
      return { action: 'transfer', data: pick() };
    case 'blind_transfer':
      return { action: 'transfer', data: { ...pick(), transfer_type: 'blind' } };
    case 'resume':
      return { action: 'cancel_transfer', data: {} };
    case 'three_way':
    case 'swap':
    case 'hold':
      return { action: module, data: {} };
    case 'hold_control':
      return { action: data.action === 'unhold' ? 'unhold' : 'hold', data: {} };
    case 'hangup':
      return { action: 'hangup', data: {} };
    case 'break':
      return { action: 'break', data: {} };
    default:
      throw new ApiError(400, 'invalid data', {
        module: {
          enum: {
            message: `Handoff does not run the metaflow module ${module} on a call; it runs transfer, blind_transfer, resume, hangup, break, three_way, swap, hold, hold_control`,
          },
        },
      });
  }
}

function checkTransferTypeSpellings(a: Extract<ChannelAction, { action: 'transfer' }>): void {
  const given = [a.transfer_type, a['transfer-type'], a['Transfer-Type']].filter((t) => t !== undefined);
  if (new Set(given).size > 1) {
    throw ApiError.field('transfer_type', 'conflict', 'transfer_type and transfer-type disagree');
  }
}

const listAnswer = successEnvelope(z.array(channelListSchema));
const callParams = accountParams.extend({ callId: z.string().meta({ description: 'The call ID (a leg UUID)' }) });
const ownerParams = accountParams.extend({ ownerId: z.string().meta({ description: "The user's or device's ID" }) });
const idempotencyHeader = z.object({
  [IDEMPOTENCY_HEADER.toLowerCase()]: z.string().optional().meta({
    description: 'Makes a transfer safe to retry: the same request with the same key gets the first answer',
  }),
});
/** A channel action's answer: Kazoo's string in `data`, the transfer in the envelope's `handoff`. */
const actionAnswer = successEnvelope(z.string().meta({ example: 'transfer initiated' }), actionHandoff);
const actionAnswers = {
  200: answer('The call took the action', actionAnswer),
  202: answer('The call accepted the transfer and is setting it up (handoff.status pending): ask again', actionAnswer),
};
const ACTION_ERRORS = [...ACCOUNT_ERRORS, ...BODY_ERRORS, 409];
const ACTION_TEXT =
  "The action is delivered to the call's workflow and the answer is its verdict. `data` is Kazoo's string; the transfer's ID and phase are in the envelope's `handoff` key. Refusals: 400 (not bridged: `other_leg_call_id.required`; not answered; bad field), 404 unknown call, 409 a transfer already runs (or none runs, for cancel_transfer, or its outcome was decided before the cancel reached it: `transfer.ended` with the outcome, for which the cancel's answer waits; or the Idempotency-Key was used for another request), 503 engine unreachable. A transfer the call accepted but did not answer within 10 s is 202 \"transfer accepted\" with handoff.status pending. Send an `Idempotency-Key` header to retry a transfer safely (the same request again gets the first answer); without it an identical request within 30 s counts as the same.";

export function channelRoutes({ store, engine, config, signer }: RouteDeps) {
  const app = routes();
  // What an action's `data` holds: the request schemas point at these.
  app.openAPIRegistry.register('ChannelAction', channelAction);
  app.openAPIRegistry.register('MetaflowAction', metaflowActionSchema);
  const list = '/accounts/{accountId}/channels';
  const one = `${list}/{callId}`;
  const honoList = '/accounts/:accountId/channels';
  const honoOne = `${honoList}/:callId`;

  /**
   * The call, if it belongs to this very account. A call of another account, or of none, is "bad identifier": nothing
   * about other accounts' calls leaks. The projection answers first; the engine covers a call it has not caught up on.
   */
  async function findCall(
    log: ApiLogger,
    accountId: string,
    callId: string,
  ): Promise<{ rec?: ChannelRecord; call?: CallSummary }> {
    if (!CALL_ID.test(callId)) throw ApiError.badIdentifier(callId);
    const rec = await store.getChannel(callId);
    if (rec) {
      if (rec.accountId !== accountId) throw ApiError.badIdentifier(callId);
      return { rec };
    }
    let call: CallSummary | undefined;
    try {
      call = await engine.getCall(callId);
    } catch (err) {
      throw engineError(callId, err, log);
    }
    if (!call || call.accountId !== accountId || call.phase === 'ended') throw ApiError.badIdentifier(callId);
    return { call };
  }

  const listed = (c: Context<ApiEnv>, channels: ChannelRecord[]) => {
    const now = Date.now();
    return success(
      c,
      config,
      channels.map((r) => channelListItem(r, now)),
    );
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: list,
      tags: ['channels'],
      summary: "The account's live calls",
      description: 'Served from the live-channel projection the ESL ingest keeps: current, and cheap.',
      request: { params: accountParams },
      responses: { 200: answer('The calls', listAnswer), ...errors(...ACCOUNT_ERRORS) },
    }),
    async (c) => listed(c, await store.listChannels([c.req.param('accountId')])),
  );
  app.all(honoList, otherMethods(config, ['GET']));

  // A user's channels (its devices' legs carry its ID as ecallmgr_Owner-ID) and a device's (ecallmgr_Authorizing-ID),
  // within the account: Kazoo finds them through the devices' SIP usernames, the same legs.
  const owned: [string, 'ownerId' | 'authorizingId', string][] = [
    ['users', 'ownerId', "A user's live calls (its devices' legs carry its ID as ecallmgr_Owner-ID)"],
    ['devices', 'authorizingId', "A device's live calls (ecallmgr_Authorizing-ID)"],
  ];
  for (const [kind, by, summary] of owned) {
    app.openapi(
      createRoute({
        method: 'get',
        path: `/accounts/{accountId}/${kind}/{ownerId}/channels`,
        tags: ['channels'],
        summary,
        request: { params: ownerParams },
        responses: { 200: answer('The calls', listAnswer), ...errors(...ACCOUNT_ERRORS) },
      }),
      async (c) => {
        const id = c.req.param('ownerId');
        if (!ID_PATTERN.test(id)) throw ApiError.badIdentifier(id);
        return listed(c, await store.listChannels([c.req.param('accountId')], { [by]: id }));
      },
    );
    app.all(`/accounts/:accountId/${kind}/:ownerId/channels`, otherMethods(config, ['GET']));
  }

  // Kazoo's system-wide list is for its super-duper admin only: here a top-level account's token, listing its whole
  // tree (Handoff may hold several top-level accounts; none sees another's calls).
  app.openapi(
    createRoute({
      method: 'get',
      path: '/channels',
      tags: ['channels'],
      summary: "Every live call of the caller's tree: a top-level account's token only (403 below)",
      middleware: [authenticate(store, signer, { throttle: config.authThrottle })],
      responses: { 200: answer('The calls', listAnswer), ...errors(401, 403, 429, 500, 503) },
    }),
    async (c) => {
      const account = await store.getAccount(c.get('auth').accountId);
      if (!account || account.parentId) {
        throw ApiError.forbidden('GET /v2/channels is for a top-level account; use /v2/accounts/{ACCOUNT_ID}/channels');
      }
      return listed(c, await store.listTreeChannels(account.id));
    },
  );
  app.all('/channels', otherMethods(config, ['GET']));

  app.openapi(
    createRoute({
      method: 'get',
      path: one,
      tags: ['channels'],
      summary: 'One call, its bridged peer and its transfer state (under data.handoff)',
      request: { params: callParams },
      responses: { 200: answer('The call', successEnvelope(channelSchema)), ...errors(...ACCOUNT_ERRORS) },
    }),
    async (c) => {
      const callId = c.req.param('callId');
      const found = await findCall(c.get('log'), c.req.param('accountId'), callId);
      let call = found.call;
      let problem: string | undefined;
      if (!call) {
        try {
          call = await engine.getCall(callId);
        } catch (err) {
          // The projection still answers; say that the transfer state is missing rather than failing the read.
          const answer = engineError(callId, err, c.get('log'));
          problem = answer.status === 503 ? ENGINE_UNAVAILABLE : ENGINE_FAILED;
        }
      }
      return success(c, config, channelView(found.rec, call, problem));
    },
  );

  /** A channel action, checked against its grammar; Kazoo's own 400 for a transfer without a target. */
  function parseAction(data: Record<string, unknown>, action: string): ChannelAction {
    if (action === 'transfer' && (data.target === undefined || data.target === null)) {
      // Kazoo's own message for a missing target.
      throw ApiError.field('target', 'required', 'No target destination specified');
    }
    const parsed = channelAction.safeParse({ ...data, action }, { reportInput: true });
    if (!parsed.success) throw ApiError.validation(toValidationErrors(parsed.error.issues));
    return parsed.data;
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: one,
      tags: ['channels'],
      summary:
        'Run an action on the call: transfer, cancel_transfer, three_way, swap, hold, unhold, hangup, break, metaflow',
      description: `${ACTION_TEXT} \`action\` may also be given in the query string or at the top level of the body.`,
      request: {
        params: callParams,
        query: z.object({
          action: z.string().optional().meta({ description: "The action, when the body has none (Kazoo's form)" }),
        }),
        headers: idempotencyHeader,
        body: jsonBody(channelActionEnvelope),
      },
      responses: { ...actionAnswers, ...errors(...ACTION_ERRORS) },
    }),
    async (c) => {
      const accountId = c.req.param('accountId');
      const callId = c.req.param('callId');
      const body = c.req.valid('json');
      const data = body.data ?? {};
      // Kazoo reads `action` from data, then the query string, then the top level of the body.
      const action = data.action ?? c.req.query('action') ?? body.action;
      // Kazoo's documentation also POSTs the metaflow action (its code answers that only to a PUT): both run it.
      if (action === 'metaflow') return runMetaflow(c, accountId, callId, data);
      if (typeof action !== 'string' || !(CHANNEL_ACTIONS as readonly string[]).includes(action)) {
        const unsupported = (UNSUPPORTED_KAZOO_ACTIONS as readonly string[]).includes(String(action));
        throw new ApiError(400, 'invalid data', {
          action: {
            [action === undefined ? 'required' : 'enum']: {
              message: unsupported
                ? `Handoff does not run the Kazoo action ${String(action)}; use one of ${CHANNEL_ACTIONS.join(', ')}`
                : `action must be one of ${CHANNEL_ACTIONS.join(', ')}`,
            },
          },
        });
      }
      const a = parseAction(data, action);
      await findCall(c.get('log'), accountId, callId);
      try {
        return await runAction(c, accountId, callId, a);
      } catch (err) {
        throw engineError(callId, err, c.get('log'));
      }
    },
  );

  /**
   * Kazoo's `PUT …/channels/{CALL_ID}` `{"action": "metaflow", "data": <metaflow>}`: the named metaflow module runs on
   * the call, with the same truthful answers as the POST actions (`data` is Kazoo's "metaflow sent"). `action` is read
   * from the top level, then from `data` (Kazoo's order); the metaflow is `data`, or `data.data` when `data` itself has
   * no module (the form of Kazoo's PUT example, and of clients that put `action` inside `data`).
   */
  app.openapi(
    createRoute({
      method: 'put',
      path: one,
      tags: ['channels'],
      summary:
        "Run a metaflow module on the call (Kazoo's metaflow action): transfer, blind_transfer, resume, hangup, break, three_way, swap, hold, hold_control",
      description: `${ACTION_TEXT} \`data\` is Kazoo's "metaflow sent".`,
      request: { params: callParams, headers: idempotencyHeader, body: jsonBody(metaflowActionEnvelope) },
      responses: { ...actionAnswers, ...errors(...ACTION_ERRORS) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const data = body.data ?? {};
      const action = body.action ?? data.action;
      if (action !== 'metaflow') {
        throw new ApiError(400, 'invalid data', {
          action: {
            [action === undefined ? 'required' : 'enum']: { message: 'PUT runs a metaflow: action must be metaflow' },
          },
        });
      }
      return runMetaflow(c, c.req.param('accountId'), c.req.param('callId'), data);
    },
  );
  app.all(honoOne, otherMethods(config, ['GET', 'POST', 'PUT']));

  async function runMetaflow(c: Context<ApiEnv>, accountId: string, callId: string, data: Record<string, unknown>) {
    const inner = data.data;
    const node =
      data.module === undefined && inner && typeof inner === 'object' && !Array.isArray(inner)
        ? { at: ['data'], value: inner as Record<string, unknown> }
        : { at: [], value: data };
    const checked = metaflowSchema.safeParse(node.value, { reportInput: true });
    if (!checked.success) {
      throw ApiError.validation(
        toValidationErrors(checked.error.issues.map((i) => ({ ...i, path: ['data', ...node.at, ...i.path] }))),
      );
    }
    const metaflow = checked.data;
    const moduleData = metaflow.data ?? {};
    const run = metaflowAction(metaflow.module, moduleData);
    const a = parseAction(run.data, run.action);
    const ignored: Record<string, string> = {};
    if (metaflow.children !== undefined) ignored.children = 'Handoff runs no children';
    for (const key of TRANSFER_TYPE_KEYS) {
      if (metaflow.module === 'transfer' && moduleData[key] !== undefined) {
        ignored[`data.${key}`] =
          'a metaflow transfer consults the target, as Konami; use blind_transfer for a blind one';
      }
    }
    const found = await findCall(c.get('log'), accountId, callId);
    // `leg`: Konami Pro acts on the call itself (`self`) or on its other leg (`bleg`, `peer`), which must then be a
    // call of this account's tree too.
    let target = callId;
    const leg = moduleData.leg;
    if (leg !== undefined && leg !== 'self') {
      const peer = found.rec?.bridgedTo ?? found.call?.bridgedTo;
      const peerRec = peer ? await store.getChannel(peer) : undefined;
      if (!peer || !peerRec?.accountId || !(await store.isDescendantOrSelf(accountId, peerRec.accountId))) {
        throw ApiError.field('data.leg', 'invalid', 'the other leg is not a call of this account');
      }
      target = peer;
    }
    try {
      return await runAction(c, accountId, target, a, {
        answer: 'metaflow sent',
        ...(Object.keys(ignored).length > 0 ? { extra: { ignored } } : {}),
      });
    } catch (err) {
      throw engineError(target, err, c.get('log'));
    }
  }

  /**
   * Runs the action on the call's workflow and answers its verdict: `data` is Kazoo's string for the action (or
   * `opts.answer`), Handoff's extras are in the envelope's `handoff` (with `opts.extra`).
   */
  async function runAction(
    c: Context<ApiEnv>,
    accountId: string,
    callId: string,
    a: ChannelAction,
    opts: { answer?: string; extra?: ActionHandoff } = {},
  ) {
    const answer = (kazoos: string, handoff?: ActionHandoff) => {
      const extras = handoff || opts.extra ? { ...handoff, ...opts.extra } : undefined;
      return success<string, ActionHandoff>(c, config, opts.answer ?? kazoos, extras ? { handoff: extras } : {});
    };
    switch (a.action) {
      case 'transfer': {
        checkTransferTypeSpellings(a);
        // A media ID found nowhere is left out of the ask: the account's default plays, and the answer says so.
        const media: MediaNotes = {};
        for (const field of ['moh', 'ringback'] as const) {
          const value = a[field];
          if (value === undefined) continue;
          const found = await mediaRef(store, config, accountId, value);
          const note = mediaNote(value, found);
          if (note) media[field] = note;
          if (found.url === undefined) delete a[field];
        }
        const key = c.req.header(IDEMPOTENCY_HEADER);
        const requestId = transferUpdateId(accountId, callId, a, key);
        if (key !== undefined) c.header(IDEMPOTENCY_HEADER, key);
        // Not accepted in time (503, "try again"): it may still be accepted later, and trying again is safe.
        const outcome = await engine.requestTransfer(callId, toAsk(a), { requestId });
        if ('pending' in outcome) {
          // Accepted by the call, not answered yet: the transfer is being set up (a slow switch, a worker restarting).
          return success<string, ActionHandoff, 202>(c, config, opts.answer ?? 'transfer accepted', {
            status: 202,
            handoff: {
              status: 'pending',
              message: `the call accepted the transfer and is setting it up; ${ASK_AGAIN}`,
              ...(Object.keys(media).length > 0 ? { media } : {}),
              ...opts.extra,
            },
          });
        }
        const handoff = acceptedView(outcome);
        if (Object.keys(media).length > 0) handoff.media = media;
        return answer('transfer initiated', handoff);
      }
      case 'cancel_transfer': {
        const summary = await engine.takeback(callId);
        return answer('cancel_transfer initiated', transferView(summary));
      }
      case 'three_way':
      case 'swap': {
        const summary = await engine.transferCode(callId, a.action);
        return answer(`${a.action} initiated`, transferView(summary));
      }
      case 'hold':
      case 'unhold': {
        const call = await engine.hold(callId, a.action);
        return answer(`${a.action} initiated`, { call_phase: call.phase });
      }
      case 'hangup':
        await engine.hangup(callId, a.cause);
        return answer('hangup initiated');
      case 'break':
        await engine.breakMedia(callId);
        return answer('break initiated');
    }
  }

  return app;
}
