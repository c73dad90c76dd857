// FreeSWITCH URL-encodes header values byte by byte, so a value may hold invalid UTF-8 (`%ED%A0%BD`, a CESU-8
// emoji from a SIP User-Agent). decodeURIComponent throws on that; this decoder never throws.
const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Decodes %XX triplets to bytes, then UTF-8 with replacement characters. `+` stays `+` (FreeSWITCH sends %2B). */
export function decodeEslValue(value: string): string {
  if (!value.includes('%')) return value;
  // Valid input decodes the same either way, and natively some 20 times faster than the loop below (a switch sends
  // every channel variable of every event); only a stray `%` or invalid UTF-8 throws, and takes the loop.
  try {
    return decodeURIComponent(value);
  } catch {
    return decodeBytes(value);
  }
}

function decodeBytes(value: string): string {
  // '%' and hex digits are ASCII, so scanning the UTF-8 bytes is exact and leaves other characters intact.
  const src = Buffer.from(value, 'utf8');
  const out = Buffer.alloc(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const b = src[i] as number;
    if (b === 0x25 && i + 2 < src.length && isHex(src[i + 1] as number) && isHex(src[i + 2] as number)) {
      out[n++] = parseInt(src.toString('latin1', i + 1, i + 3), 16);
      i += 2;
    } else {
      out[n++] = b;
    }
  }
  return utf8.decode(out.subarray(0, n));
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Parses a `Name: value` header block the way modesl does (Content-Length as a number), without throwing. */
export function parseHeaderBlock(text: string): Record<string, string | number> {
  const headers: Record<string, string | number> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf(': ');
    const key = at < 0 ? line : line.slice(0, at);
    const value = decodeEslValue(at < 0 ? '' : line.slice(at + 2));
    headers[key] = key === 'Content-Length' ? parseInt(value, 10) : value;
  }
  return headers;
}
