// How FreeSWITCH splits the strings of a command line and of a dial string, so that the simulator reads an originate
// exactly as the switch does (written from FreeSWITCH's switch_utils.c `switch_separate_string` and its clean-up,
// `switch_find_end_paren`, switch_event.c `switch_event_create_brackets` and switch_ivr_originate.c):
// - a string is split at a delimiter outside single quotes, a backslash protecting the character after it; a leading
//   `^^X` makes X the delimiter. Splitting at spaces toggles on every quote; at any other delimiter a quote only opens
//   when another quote follows it somewhere;
// - each piece is then cleaned: leading spaces and trailing unquoted spaces dropped, quotes removed (same rule as
//   above), and `\'`, `\"`, `\\`, `\<delimiter>`, `\n`, `\r`, `\t`, `\s` (space) unescaped; any other backslash stays;
// - a bracket block (`{...}`, `<...>`, `[...]`) ends at the bracket that balances its first one, counting that kind of
//   bracket only: neither quotes nor backslashes hide a bracket.

/** The characters FreeSWITCH's originate uses to mark commas inside `[...]` while it splits a dial string at commas. */
const QUOTED_ESC_COMMA = '\x01';
const UNQUOTED_ESC_COMMA = '\x02';

function unescapeChar(c: string): string {
  return c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : c === 's' ? ' ' : c;
}

/** The clean-up every piece of a split goes through (`delim` '' for a split at spaces). */
export function cleanPiece(piece: string, delim: string): string {
  let i = 0;
  while (piece[i] === ' ') i++;
  let out = '';
  let end = 0;
  let quoted = false;
  for (; i < piece.length; i++) {
    const c = piece[i]!;
    if (c === '\\' && i + 1 < piece.length) {
      const e = piece[i + 1]!;
      if (e === "'" || e === '"' || (delim !== '' && e === delim) || e === '\\' || unescapeChar(e) !== e) {
        out += unescapeChar(e);
        end = out.length;
        i++;
        continue;
      }
    }
    if (c === "'" && (quoted || piece.indexOf("'", i + 1) >= 0)) {
      quoted = !quoted;
      if (quoted) end = out.length;
    } else {
      out += c;
      if (c !== ' ' || quoted) end = out.length;
    }
  }
  return out.slice(0, end);
}

/** `switch_separate_string`: at most `max` pieces (the last one keeps the rest of the string), each cleaned. */
export function separate(buf: string, delim: string, max = 1024): string[] {
  if (buf.startsWith('^^') && buf.length >= 4) {
    delim = buf[2]!;
    buf = buf.slice(3);
  }
  const pieces = delim === ' ' ? splitAtSpaces(buf, max) : splitAt(buf, delim, max);
  return pieces.map((p) => cleanPiece(p, delim === ' ' ? '' : delim));
}

function splitAt(buf: string, delim: string, max: number): string[] {
  const starts: number[] = [];
  const ends: number[] = [];
  let finding = false;
  let quoted = false;
  for (let i = 0; i < buf.length && starts.length < max;) {
    if (!finding) {
      starts.push(i);
      ends.push(buf.length);
      finding = true;
      continue;
    }
    const c = buf[i]!;
    if (c === '\\') i++;
    else if (c === "'" && (quoted || buf.indexOf("'", i + 1) >= 0)) quoted = !quoted;
    else if (c === delim && !quoted) {
      ends[ends.length - 1] = i;
      finding = false;
    }
    i++;
  }
  return starts.map((start, k) => buf.slice(start, ends[k]));
}

function splitAtSpaces(buf: string, max: number): string[] {
  const starts: number[] = [];
  const ends: number[] = [];
  let state: 'start' | 'leading' | 'find' | 'trailing' = 'start';
  let quoted = false;
  for (let i = 0; i < buf.length && starts.length < max;) {
    const c = buf[i]!;
    if (state === 'start') {
      starts.push(i);
      ends.push(buf.length);
      state = 'leading';
    } else if (state === 'leading') {
      if (c === ' ') i++;
      else state = 'find';
    } else if (state === 'find') {
      if (c === '\\') i++;
      else if (c === "'") quoted = !quoted;
      else if (c === ' ' && !quoted) {
        ends[ends.length - 1] = i;
        state = 'trailing';
      }
      i++;
    } else if (c === ' ') i++;
    else state = 'start';
  }
  return starts.map((start, k) => buf.slice(start, ends[k]));
}

/** `switch_find_end_paren`: the index of the bracket that closes the one `s` starts with (after spaces), if any. */
export function findEndParen(s: string, open: string, close: string): number | undefined {
  let i = 0;
  while (s[i] === ' ') i++;
  if (s[i] !== open) return undefined;
  let depth = 1;
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === open && open !== close) depth++;
    else if (s[j] === close && --depth === 0) return j;
  }
  return undefined;
}

/**
 * One bracket block at the start of `data` (`switch_event_create_brackets`): its variables, in order (a variable given
 * twice keeps its last value, as the switch's event does), and what follows the block. Undefined when it does not close.
 */
export function bracketBlock(
  data: string,
  open: string,
  close: string,
  delim: string,
): { vars: [string, string][]; rest: string } | undefined {
  const end = findEndParen(data, open, close);
  if (end === undefined) return undefined;
  let content = data.slice(1, end);
  if (content.startsWith('^^') && content.length >= 3) {
    delim = content[2]!;
    content = content.slice(3);
  }
  const vars: [string, string][] = [];
  for (const piece of content === '' ? [] : separate(content, delim)) {
    const kv = separate(piece, '=', 2);
    if (kv.length === 2) vars.push([kv[0]!, kv[1]!]);
  }
  return { vars, rest: data.slice(end + 1) };
}

export interface OriginateTarget {
  /** The channel variables the originated leg gets: `<...>` and `{...}` blocks, then its own `[...]` blocks. */
  vars: [string, string][];
  /** The first endpoint of the dial string, after its variables: `loopback/2600/default`. */
  endpoint: string;
}

/**
 * What `switch_ivr_originate` makes of a dial string: `<...>` then `{...}` blocks, then the first `|` alternative's
 * first `,` peer with its `[...]` blocks. Undefined for what the switch refuses to parse (a block that does not close,
 * or an enterprise originate `:_:`, which the simulator does not offer).
 */
export function parseOriginateTarget(dial: string): OriginateTarget | undefined {
  if (dial.includes(':_:')) return undefined;
  const vars: [string, string][] = [];
  let data = dial;
  for (const [open, close] of [
    ['<', '>'],
    ['{', '}'],
  ] as const) {
    while (data.startsWith(open)) {
      const block = bracketBlock(data, open, close, ',');
      if (!block) return undefined;
      vars.push(...block.vars);
      data = block.rest;
    }
  }
  data = data.replace(/^ +/, '');
  const alternative = separate(data, '|')[0] ?? '';
  const peer = separate(markBracketCommas(alternative), ',')[0] ?? '';
  let leg = peer.replace(/^ +/, '');
  while (leg.startsWith('[')) {
    const end = findEndParen(leg, '[', ']');
    if (end === undefined) return undefined;
    leg = leg.slice(0, end).replaceAll(QUOTED_ESC_COMMA, ',') + leg.slice(end);
    const block = bracketBlock(leg, '[', ']', UNQUOTED_ESC_COMMA);
    if (!block) return undefined;
    vars.push(...block.vars);
    leg = block.rest;
  }
  return { vars, endpoint: leg };
}

/**
 * Before a dial string is split at commas, a comma inside a `[...]` block that is not preceded by a backslash is
 * marked: as a plain comma to restore when it is quoted (or the block starts with `^^`), else as the block's own
 * variable separator. The quote test here is a plain toggle on every quote.
 */
function markBracketCommas(s: string): string {
  const out = [...s];
  let end: number | undefined;
  let quoted = false;
  let alt = false;
  for (let p = 0; p < out.length; p++) {
    if (end === undefined && out[p] === '[') {
      end = findEndParen(s.slice(p), '[', ']');
      if (end !== undefined) end += p;
      alt = out[p + 1] === '^' && out[p + 2] === '^';
      quoted = false;
    }
    if (out[p] === "'") quoted = !quoted;
    if (end !== undefined && p < end && out[p] === ',' && out[p - 1] !== '\\') {
      out[p] = quoted || alt ? QUOTED_ESC_COMMA : UNQUOTED_ESC_COMMA;
    }
    if (p === end) end = undefined;
  }
  return out.join('');
}
