// The whitelist grammars of every value that can end up in a switch command: the API checks a client's fields with
// them at the edge, the policy activities check them again before a transfer moves (a metaflow, an account default or
// a configured default reaches them without passing the API), and the switch activities refuse anything else on a
// command line. One grammar, one place: nothing a client sends can reach a FreeSWITCH command line (newline, space,
// brace, comma outside a tone's own parentheses, quote, `&`, `;` outside the `;loops=` suffix: all refused).

/** Dial-plan characters only: what a transfer target (the number dialled) may be. */
export const TARGET_PATTERN = /^[0-9A-Za-z*#+._-]{1,64}$/;
/** A DTMF sequence: the takeback code. */
export const DTMF_PATTERN = /^[0-9*#]{1,8}$/;
/** A hangup cause as FreeSWITCH names them (NORMAL_CLEARING, USER_BUSY ...). */
export const HANGUP_CAUSE_PATTERN = /^[A-Z_]{1,64}$/;
/** Account, media, device and user IDs: Kazoo's 32-hex IDs fit, and nothing that could break a URL or a log line. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** One Teletone segment: `%(on_ms,off_ms,freq[,freq...])`, whole numbers or decimals, up to four frequencies. */
const TONE = String.raw`%\(\d{1,5},\d{1,5}(?:,\d{1,5}(?:\.\d{1,3})?){1,4}\)`;
/** Kazoo's bare ringback (it wraps it in tone_stream:// itself). */
export const BARE_TONE_PATTERN = new RegExp(`^${TONE}$`);
/** `tone_stream://` + one or more segments joined by `;`, and an optional `;loops=N` (-1 = forever). */
export const TONE_STREAM_PATTERN = new RegExp(`^tone_stream://${TONE}(?:;${TONE}){0,7}(?:;loops=(?:-1|\\d{1,3}))?$`);
/** A FreeSWITCH local_stream (a music-on-hold class) by name. */
export const LOCAL_STREAM_PATTERN = /^local_stream:\/\/[A-Za-z0-9_-]{1,64}$/;
/** An absolute sound file path (media records and configured defaults only): no `..`, no hidden segments. */
export const FILE_PATH_PATTERN = /^(?:\/[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}){1,16}\.(?:wav|mp3)$/;

/** A stream a client may name: a tone (bare or tone_stream://) or a local_stream. */
export function isStreamUrl(value: string): boolean {
  return BARE_TONE_PATTERN.test(value) || TONE_STREAM_PATTERN.test(value) || LOCAL_STREAM_PATTERN.test(value);
}

/** What a media record (created by an administrator) may point at: a stream, or a sound file. */
export function isMediaStream(value: string): boolean {
  return isStreamUrl(value) || FILE_PATH_PATTERN.test(value);
}

/**
 * The stream the switch plays for a media value, or undefined when the value is not one: a bare tone is wrapped in
 * `tone_stream://`, and a tone without `;loops=` loops forever (ringback and music last until the transfer moves on).
 */
export function playableStream(value: string): string | undefined {
  if (BARE_TONE_PATTERN.test(value)) return `tone_stream://${value};loops=-1`;
  if (TONE_STREAM_PATTERN.test(value)) return value.includes(';loops=') ? value : `${value};loops=-1`;
  return isMediaStream(value) ? value : undefined;
}

/** A channel UUID as it may appear on a switch command line. */
export const UUID_SAFE = /^[A-Za-z0-9._-]{1,128}$/;
/** Values that reach a switch command line must not be able to start another argument, variable or command. */
export const VALUE_SAFE = /^[^\s,{}'"`&;|\\]*$/;
/** uuid_broadcast takes the stream as one space-separated argument: commas and `;loops=` are fine there. */
export const STREAM_SAFE = /^[^\s{}'"`&|\\]*$/;
