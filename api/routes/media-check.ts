// A media reference in a request (moh, ringback, an account's defaults), resolved as the engine will play it
// (contracts/media.ts): a stream, the nearest media record of the account's tree, or a Kazoo media ID through
// MEDIA_URL_TEMPLATE. Checked at the edge so the client learns what will play.
import { playableStream } from '../../contracts/grammar.ts';
import { resolveMedia, type MediaResolution } from '../../contracts/media.ts';
import type { Store } from '../../store/index.ts';
import type { ApiConfig } from '../context.ts';
import { ApiError } from '../errors.ts';
import type { MediaNote } from '../views.ts';

export function mediaRef(store: Store, config: Pick<ApiConfig, 'mediaUrlTemplate'>, accountId: string, value: string) {
  return resolveMedia(value, accountId, {
    playable: playableStream,
    lookup: async (a, id) => (await store.findMediaForAccount(a, id))?.streamUrl,
    template: config.mediaUrlTemplate,
  });
}

/** An account's own defaults must play: an ID that resolves nowhere is a 400 naming the field. */
export async function checkMediaRef(
  store: Store,
  config: Pick<ApiConfig, 'mediaUrlTemplate'>,
  accountId: string,
  field: string,
  value: string,
): Promise<void> {
  const found = await mediaRef(store, config, accountId, value);
  if (found.url === undefined) throw ApiError.field(field, 'not_found', found.reason);
}

/**
 * What a moh/ringback media ID will play when it is not a media record of the account's tree, for the answer's
 * `handoff.media`: the URL MEDIA_URL_TEMPLATE made of it, or the account's default (found nowhere). Undefined for a
 * stream or a media record (they play as they are).
 */
export function mediaNote(value: string, found: MediaResolution): MediaNote | undefined {
  if (found.url === undefined) {
    return { media_id: value, plays: "the account's default", reason: found.reason };
  }
  if (found.source !== 'template') return undefined;
  return { media_id: value, plays: found.url, source: 'MEDIA_URL_TEMPLATE' };
}
