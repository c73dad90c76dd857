// A TLS front for the Temporal dev server (its CLI has no TLS options), standing in for a production frontend or
// Temporal Cloud's: node:tls with a server certificate, mutual TLS (a client certificate signed by the expected CA is
// required: the handshake fails otherwise), and HTTP/2 (gRPC) so that each call's `authorization: Bearer <API key>`
// header is checked as Temporal Cloud does, answering UNAUTHENTICATED when it is missing or wrong. Accepted calls are
// relayed to the dev server over plain HTTP/2, headers, messages and trailers unchanged.
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';

export interface TlsProxyOptions {
  upstream: string;
  key: Buffer;
  cert: Buffer;
  /** CA that client certificates must chain to. */
  clientCa: Buffer;
  /** Required as `authorization: Bearer <apiKey>`; undefined: not checked. */
  apiKey?: string;
}

export interface TlsProxy {
  address: string;
  /** Why connections or calls were refused, in order (TLS errors, bad API keys). */
  refusals: string[];
  /** Calls relayed to the dev server. */
  relayed: number;
  close(): Promise<void>;
}

const GRPC_UNAUTHENTICATED = '16';
const HOP_BY_HOP = new Set([':status', ':method', ':path', ':scheme', ':authority', 'connection', 'keep-alive']);

function forwardable(headers: http2.IncomingHttpHeaders): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
  return out;
}

export async function startTlsProxy(opts: TlsProxyOptions): Promise<TlsProxy> {
  const upstream = http2.connect(`http://${opts.upstream}`);
  upstream.on('error', () => undefined);
  const sessions = new Set<http2.ServerHttp2Session>();
  const proxy: TlsProxy = { address: '', refusals: [], relayed: 0, close: async () => undefined };
  const server = http2.createSecureServer({
    key: opts.key,
    cert: opts.cert,
    ca: opts.clientCa,
    requestCert: true,
    rejectUnauthorized: true,
    ALPNProtocols: ['h2'],
  });
  server.on('tlsClientError', (err) => proxy.refusals.push(`tls: ${err.message}`));
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
    s.on('error', () => undefined);
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    if (opts.apiKey !== undefined && headers.authorization !== `Bearer ${opts.apiKey}`) {
      proxy.refusals.push(headers.authorization ? 'api key: wrong' : 'api key: missing');
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': GRPC_UNAUTHENTICATED,
          'grpc-message': headers.authorization ? 'invalid API key' : 'API key required',
        },
        { endStream: true },
      );
      return;
    }
    proxy.relayed++;
    const up = upstream.request({
      ':method': headers[':method'],
      ':path': headers[':path'],
      ...forwardable(headers),
    });
    let trailers: http2.OutgoingHttpHeaders = {};
    up.on('response', (h) => {
      const status = h[':status'] ?? 200;
      // A trailers-only answer (an error with no message) goes back as one too.
      if (h['grpc-status'] !== undefined) stream.respond({ ':status': status, ...forwardable(h) }, { endStream: true });
      else stream.respond({ ':status': status, ...forwardable(h) }, { waitForTrailers: true });
    });
    up.on('trailers', (t) => (trailers = forwardable(t)));
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    up.on('data', (chunk: Buffer) => {
      if (!stream.closed && !stream.endAfterHeaders) stream.write(chunk);
    });
    up.on('end', () => {
      if (!stream.closed && stream.headersSent && !stream.endAfterHeaders) stream.end();
    });
    up.on('error', () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    stream.on('close', () => {
      if (!up.closed) up.close(http2.constants.NGHTTP2_CANCEL);
    });
    stream.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.address = `localhost:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sessions) s.destroy();
      upstream.destroy();
      server.close(() => resolve());
    });
  return proxy;
}
