// Channel variables on an originate command line, written so that FreeSWITCH reads back exactly the values given:
// a caller named `Pat\ O'Brien "Jr"`, `{Zoë}, [Ops]` or `Ünïcødé  ` reaches the target leg unchanged.
//
// How the switch reads `originate <variables><dial string> &park()` (switch_utils.c, switch_event.c and
// switch_ivr_originate.c; the simulator reads it the same way, simulator/fs-strings.ts):
// 1. the arguments are split at spaces outside single quotes, a backslash protecting the next character, and each is
//    cleaned: quotes removed; `\\`, `\'`, `\"` and `\n` `\r` `\t` `\s` (space) unescaped;
// 2. `<...>` then `{...}` blocks are cut at the bracket that balances the first one, counting that bracket only
//    (neither quotes nor backslashes hide one); a block is split into variables at commas, each cleaned again (`\,` too);
// 3. each variable is split at its first `=` and its value cleaned once more (`\=` too);
// 4. per-leg `[...]` blocks are read after the dial string is split at `|` and at `,` (two more cleanings); there a
//    comma without a backslash before it separates variables, so each block here holds one variable and no bare comma.
// So a value is escaped once per cleaning it goes through, innermost first (spaces as `\s`, so that leading and trailing
// ones survive), and put in the first block whose brackets it balances. The whole command line is searched for `:_:`
// (an enterprise originate): a `:_` is written with an empty quoted string between, which the second cleaning removes.
// A value cannot be quoted when it has a control character (the ESL command line ends at a line break), starts with
// `ARRAY::` (read as a list), unbalances all three kinds of bracket, or, outside the caller ID, holds `${` (the switch
// refuses to set such a variable).

export class UnquotableValue extends Error {}

/** Variables the switch reads for the new leg's caller ID (it takes them as they are, `${` included). */
const CALLER_ID_VARIABLES = new Set(['origination_caller_id_name', 'origination_caller_id_number']);
const NAME = /^[A-Za-z0-9_.-]{1,128}$/;

type Block = '{' | '<' | '[';
const CLOSE: Record<Block, string> = { '{': '}', '<': '>', '[': ']' };
/** Preferred first: the global block, then the ultra-global one, then the leg's own. */
const BLOCKS: Block[] = ['{', '<', '['];

function balanced(value: string, open: string, close: string): boolean {
  let depth = 0;
  for (const c of value) {
    if (c === open) depth++;
    else if (c === close && --depth < 0) return false;
  }
  return depth === 0;
}

/** Why a value cannot reach a channel variable through an originate unchanged; undefined when it can. */
export function unquotable(name: string, value: string): string | undefined {
  // Control characters: C0 and DEL.
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value)) return 'a control character cannot be sent on an ESL command line';
  if (value.startsWith('ARRAY::')) return 'the switch reads a value starting with ARRAY:: as a list';
  if (!CALLER_ID_VARIABLES.has(name) && /\$\\*\{/.test(value)) {
    return 'the switch refuses to set a channel variable whose value holds ${';
  }
  if (!BLOCKS.some((b) => balanced(value, b, CLOSE[b]))) {
    return 'it unbalances {}, <> and [] alike, so no variable block of an originate can hold it';
  }
  return undefined;
}

/** One cleaning's worth of escapes: backslash, quotes and the delimiter get a backslash; a space is `\s`. */
function escape(s: string, delimiter: string): string {
  let out = '';
  for (const c of s) {
    if (c === ' ') out += '\\s';
    else if (c === '\\' || c === "'" || c === '"' || c === delimiter) out += `\\${c}`;
    else out += c;
  }
  return out;
}

/** Keeps `:_:` out of the command line: `''` between `:` and `_`, removed by the cleaning that follows the first. */
function breakEnterpriseDelimiter(s: string): string {
  return s.replaceAll(':_', ":''_");
}

/**
 * The variable blocks that go in front of an originate's dial string (`<...>{...}[...]`), values quoted as the switch
 * reads them. Empty values are left out (the switch reads `name=` as no variable). Throws UnquotableValue for a value
 * that cannot be quoted, and for a name that is not a plain variable name.
 */
export function originateVariableBlocks(vars: Record<string, string>): string {
  const blocks: Record<Block, string[]> = { '{': [], '<': [], '[': [] };
  for (const [name, value] of Object.entries(vars)) {
    if (!NAME.test(name)) throw new UnquotableValue(`variable name ${JSON.stringify(name)}: not a plain name`);
    if (value === '') continue;
    const why = unquotable(name, value);
    if (why) throw new UnquotableValue(`${name}: ${JSON.stringify(value)}: ${why}`);
    const block = BLOCKS.find((b) => balanced(value, b, CLOSE[b]))!;
    blocks[block].push(`${name}=${escape(value, '=')}`);
  }
  let line = '';
  // Global and ultra-global blocks: split at commas (cleaned), then at `=` (cleaned).
  for (const open of ['<', '{'] as const) {
    const vars = blocks[open];
    if (vars.length)
      line += `${open}${breakEnterpriseDelimiter(vars.map((v) => escape(v, ',')).join(','))}${CLOSE[open]}`;
  }
  // A leg's own blocks, one variable each: cleaned at `=`, as the block's only variable (no separator), at the dial
  // string's `,` split and at its `|` split.
  for (const v of blocks['[']) {
    line += `[${breakEnterpriseDelimiter(escape(escape(escape(v, ''), ','), '|'))}]`;
  }
  // The command's own split at spaces comes last (outermost).
  return escape(line, ' ');
}
