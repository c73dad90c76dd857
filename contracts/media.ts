// Kazoo media IDs, played the way a Kazoo cluster plays them: a media ID Handoff has no record of becomes the URL that
// MEDIA_URL_TEMPLATE makes of it, the URL Kazoo's ecallmgr hands FreeSWITCH for an account's media by default
// (`http_cache://` in front of the media document's attachment in the account's database; Kazoo's
// `use_bigcouch_direct`). Kazoo's media manager reads the attachment's name from the media document, which a template
// cannot: the default names it after the media ID, and an operator points the template at whatever serves their media
// by ID. Empty turns it off: an ID nobody knows then falls back to the account's default music, and the answer says so.
import { ID_PATTERN } from './grammar.ts';

export const DEFAULT_MEDIA_URL_TEMPLATE = 'http_cache://http://127.0.0.1:5984/{account_db}/{media_id}/{media_id}';

const PLACEHOLDERS = ['account_id', 'account_db', 'media_id'] as const;
/** Characters a template may hold around its placeholders: none that could start another switch argument or app. */
const TEMPLATE_TEXT = '[A-Za-z0-9_:/.%?=~+@-]*';
const TEMPLATE = new RegExp(`^${TEMPLATE_TEXT}(?:\\{(?:${PLACEHOLDERS.join('|')})\\}${TEMPLATE_TEXT})*$`);

/** Why a MEDIA_URL_TEMPLATE cannot be used, or undefined when it can ('' is fine: it turns the template off). */
export function mediaTemplateProblem(template: string): string | undefined {
  if (template === '') return undefined;
  if (!TEMPLATE.test(template)) {
    return `only ${TEMPLATE_TEXT} and the placeholders {${PLACEHOLDERS.join('}, {')}} (no spaces, quotes, braces, & or ;)`;
  }
  if (!template.includes('{media_id}')) return 'must contain {media_id}';
  if (template.includes('::')) return 'must not contain :: (FreeSWITCH would run it as an application)';
  return undefined;
}

/** Kazoo's name for an account's database, URL-encoded (`account%2Fab%2Fcd%2Fef…` for a 32-hex account ID). */
export function kazooAccountDb(accountId: string): string {
  return /^[0-9a-f]{32}$/i.test(accountId)
    ? `account%2F${accountId.slice(0, 2)}%2F${accountId.slice(2, 4)}%2F${accountId.slice(4)}`
    : `account%2F${accountId}`;
}

/** The URL the template makes of a media ID, or undefined when the template is off or the ID is no ID. */
export function mediaUrlFromTemplate(template: string, accountId: string, mediaId: string): string | undefined {
  if (template === '' || !ID_PATTERN.test(mediaId) || !ID_PATTERN.test(accountId)) return undefined;
  return template
    .replaceAll('{account_id}', accountId)
    .replaceAll('{account_db}', kazooAccountDb(accountId))
    .replaceAll('{media_id}', mediaId);
}

/** Where a media value was found: a stream as it is, a media record of the account's tree, or the template. */
export type MediaSource = 'stream' | 'media' | 'template';

/** Not found: `unknown` is a media ID nobody has (the default plays instead); `invalid` is no media reference at all. */
export type MediaResolution =
  { url: string; source: MediaSource } | { url?: undefined; problem: 'unknown' | 'invalid'; reason: string };

/**
 * What the switch plays for a moh/ringback value: a stream URL as it is; a media ID as the nearest media record of the
 * account's tree (`lookup`), else as MEDIA_URL_TEMPLATE makes it. `playable` turns a stream into what the switch plays
 * (contracts/grammar.ts playableStream).
 */
export async function resolveMedia(
  value: string,
  accountId: string | undefined,
  opts: {
    playable: (value: string) => string | undefined;
    lookup: (accountId: string, mediaId: string) => Promise<string | undefined>;
    template: string;
  },
): Promise<MediaResolution> {
  const stream = opts.playable(value);
  if (stream) return { url: stream, source: 'stream' };
  if (!ID_PATTERN.test(value)) {
    return { problem: 'invalid', reason: `${JSON.stringify(value)} is neither a media ID nor a stream` };
  }
  if (!accountId) return { problem: 'unknown', reason: `the call has no account to find media ${value} in` };
  const recorded = await opts.lookup(accountId, value);
  if (recorded) return { url: recorded, source: 'media' };
  const templated = mediaUrlFromTemplate(opts.template, accountId, value);
  if (templated) return { url: templated, source: 'template' };
  return {
    problem: 'unknown',
    reason: `no media ${value} in this account or its ancestors, and MEDIA_URL_TEMPLATE is off`,
  };
}
