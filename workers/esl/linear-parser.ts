// modesl 1.2.1's parser appends every socket chunk to what it already holds (Buffer.concat of the whole buffer): a
// reply of N bytes arriving in chunks of c costs about N²/2c bytes copied. `show channels as json` on a switch with
// 10,000 calls (20,000 channels) is some 18 MB: seconds of CPU in the node worker's one JavaScript thread (ingest,
// switch activities and all), long enough for the reply to miss its deadline. Here a body's chunks are held apart
// until the body is complete and joined once; headers, which are small, are appended as before.
import { createRequire } from 'node:module';

interface ParserInternals {
  buffer: Buffer;
  /** The Content-Length of the body being read; 0 while reading headers. */
  bodyLen: number;
  _parseHeaders(): void;
  _parseBody(): void;
  /** Chunks of the body being read, not yet joined to `buffer`. */
  heldChunks?: Buffer[];
  heldBytes?: number;
}

function onData(this: ParserInternals, data: Buffer): void {
  if (this.bodyLen > 0) {
    (this.heldChunks ??= []).push(data);
    this.heldBytes = (this.heldBytes ?? 0) + data.length;
    if (this.buffer.length + this.heldBytes < this.bodyLen) return;
    this.buffer = Buffer.concat([this.buffer, ...this.heldChunks]);
    this.heldChunks = [];
    this.heldBytes = 0;
    this._parseBody();
    return;
  }
  this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
  this._parseHeaders();
}

/** modesl's own scan is a byte-by-byte loop in JavaScript; Buffer.indexOf does the same search natively. */
function indexOfHeaderEnd(this: ParserInternals): number {
  return this.buffer.indexOf('\n\n');
}

let installed = false;

/**
 * Replaces the parser's buffering for every modesl connection created afterwards (its constructor binds `_onData`
 * to the socket, so the prototype must be patched before the first connection exists). Idempotent.
 */
export function installLinearParser(): void {
  if (installed) return;
  installed = true;
  const require = createRequire(import.meta.url);
  const Parser = require('modesl/lib/esl/Parser.js') as { prototype: Record<string, unknown> };
  Parser.prototype._onData = onData;
  Parser.prototype._indexOfHeaderEnd = indexOfHeaderEnd;
}
