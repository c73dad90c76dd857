// Dial strings as FreeSWITCH's originate and bridge read them: `{k=v,...}loopback/<ext>[/<context>]`, the channel
// variables in front (`{...}`, `[...]`, `<...>`), and where the dial string ends in an originate command line.

export interface DialString {
  vars: [string, string][];
  endpoint: string;
  ext: string;
  context: string;
}

/** Parse `{k=v,...}loopback/<ext>[/<context>]`; anything that is not loopback is `endpoint` only. */
export function parseDialString(s: string): DialString | undefined {
  let rest = s.trim();
  const vars: [string, string][] = [];
  while (rest.startsWith('{') || rest.startsWith('[') || rest.startsWith('<')) {
    const close = { '{': '}', '[': ']', '<': '>' }[rest[0] as '{' | '[' | '<'];
    const end = rest.indexOf(close);
    if (end < 0) return undefined;
    for (const kv of splitVars(rest.slice(1, end))) {
      const i = kv.indexOf('=');
      if (i > 0) vars.push([kv.slice(0, i).trim(), unquote(kv.slice(i + 1).trim())]);
    }
    rest = rest.slice(end + 1);
  }
  const parts = rest.split('/');
  const endpoint = parts[0] ?? '';
  if (endpoint !== 'loopback') return { vars, endpoint, ext: parts.slice(1).join('/'), context: '' };
  return { vars, endpoint, ext: parts[1] ?? '', context: parts[2] || 'default' };
}

function splitVars(s: string): string[] {
  // Commas separate variables; `\,` escapes one and quoted values may contain them.
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && s[i + 1] === ',') {
      cur += ',';
      i++;
    } else if (quote) {
      if (c === quote) quote = undefined;
      cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      cur += c;
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  if (cur) out.push(cur);
  return out;
}

function unquote(v: string): string {
  return (v.startsWith("'") && v.endsWith("'")) || (v.startsWith('"') && v.endsWith('"')) ? v.slice(1, -1) : v;
}

/** Split off the dial string: it runs to the first space that is not inside {...} / [...] or quotes. */
export function splitDialString(args: string): [string, string] {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const c = args[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '{' || c === '[' || c === '<') depth++;
    else if (c === '}' || c === ']' || c === '>') depth--;
    else if (c === ' ' && depth <= 0) return [args.slice(0, i), args.slice(i + 1).trim()];
  }
  return [args, ''];
}
