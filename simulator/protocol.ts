// ESL wire format: framing of client commands, encoding of replies and events.
// Byte layouts are a real FreeSWITCH's, as recorded from its event socket (the capture fidelity tests compare them).

export type Header = readonly [name: string, value: string];

export const DISCONNECT_BODY = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';

const UNSAFE = new Set('\r\n #%&+:;<=>?@[\\]^`{|}"');
const HEX = '0123456789ABCDEF';
/** A byte the encoding changes, or a `%` (which may start a triplet that passes through): most values hold none. */
const ENCODED = /[^\x21-\x7e]|[#%&+:;<=>?@[\\\]^`{|}"]/;

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102));
}

/** FreeSWITCH's url encoding: per byte, existing %XX triplets pass through, `+` is never a space. */
export function urlEncode(value: string): string {
  if (!ENCODED.test(value)) return value;
  const bytes = Buffer.from(value, 'utf8');
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b === 37 && isHex(bytes[i + 1]) && isHex(bytes[i + 2])) {
      out += '%';
      continue;
    }
    const ch = String.fromCharCode(b);
    if (b < 32 || b > 126 || UNSAFE.has(ch)) {
      out += '%' + HEX[(b >> 4) & 15] + HEX[b & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

/** The body of a text/event-plain frame: url-encoded header lines, then the optional inner body. */
export function serializePlainEvent(headers: readonly Header[], body?: string): string {
  let s = '';
  for (const [name, value] of headers) {
    const enc = urlEncode(value);
    s += `${name}: ${enc === '' ? '_undef_' : enc}\n`;
  }
  if (body !== undefined) {
    s += `Content-Length: ${Buffer.byteLength(body)}\n\n${body}`;
  } else {
    s += '\n';
  }
  return s;
}

/** JSON event body; built by hand to keep header order and duplicate names as FreeSWITCH does. */
export function serializeJsonEvent(headers: readonly Header[], body?: string): string {
  const parts = headers.map(([n, v]) => `${JSON.stringify(n)}:${JSON.stringify(v)}`);
  if (body !== undefined) {
    parts.push(`"Content-Length":${JSON.stringify(String(Buffer.byteLength(body)))}`);
    parts.push(`"_body":${JSON.stringify(body)}`);
  }
  return `{${parts.join(',')}}`;
}

export function eventFrame(format: 'plain' | 'json', inner: string): string {
  return `Content-Length: ${Buffer.byteLength(inner)}\nContent-Type: text/event-${format}\n\n${inner}`;
}

export function commandReply(text: string, extra: readonly Header[] = []): string {
  return `Content-Type: command/reply\nReply-Text: ${text}\n${extra.map(([n, v]) => `${n}: ${v}\n`).join('')}\n`;
}

export function apiResponse(body: string): string {
  return `Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`;
}

export const AUTH_REQUEST = 'Content-Type: auth/request\n\n';

export function disconnectNotice(): string {
  return `Content-Type: text/disconnect-notice\nContent-Length: ${Buffer.byteLength(DISCONNECT_BODY)}\n\n${DISCONNECT_BODY}`;
}

export interface ClientCommand {
  /** The first line, e.g. `api uuid_kill <uuid>`. */
  line: string;
  /** Further header lines; names lower-cased (FreeSWITCH looks them up case-insensitively). */
  headers: Map<string, string>;
  body?: string;
}

/** Incremental parser for what a client sends: header block ended by an empty line, optional Content-Length body. */
export class CommandParser {
  private buf: Buffer = Buffer.alloc(0);
  private pending: { line: string; headers: Map<string, string>; length: number } | undefined;

  push(chunk: Buffer): ClientCommand[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: ClientCommand[] = [];
    for (;;) {
      if (this.pending) {
        if (this.buf.length < this.pending.length) break;
        const body = this.buf.subarray(0, this.pending.length).toString('utf8');
        this.buf = this.buf.subarray(this.pending.length);
        out.push({ line: this.pending.line, headers: this.pending.headers, body });
        this.pending = undefined;
        continue;
      }
      // Leading blank lines are skipped, as FreeSWITCH does.
      while (this.buf.length && (this.buf[0] === 10 || this.buf[0] === 13)) this.buf = this.buf.subarray(1);
      const text = this.buf.toString('latin1');
      const m = /\r?\n\r?\n/.exec(text);
      if (!m) break;
      const block = this.buf.subarray(0, m.index).toString('utf8');
      this.buf = this.buf.subarray(m.index + m[0].length);
      const lines = block.split(/\r?\n/);
      const line = (lines.shift() ?? '').trim();
      const headers = new Map<string, string>();
      for (const l of lines) {
        const i = l.indexOf(':');
        if (i > 0) headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trimStart());
      }
      const len = Number(headers.get('content-length') ?? '0');
      if (len > 0) {
        this.pending = { line, headers, length: len };
      } else {
        out.push({ line, headers });
      }
    }
    return out;
  }
}
