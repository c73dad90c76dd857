// The one place that turns configuration into Temporal connections: every role (workflow worker, node worker, API),
// `npm start`, the scripts, the benchmark and the tests connect through these functions, so TLS, the API key, gRPC
// headers, the namespace and the payload codec are the same everywhere.
import net from 'node:net';
import tls from 'node:tls';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config/index.ts';
import type { TemporalSettings } from '../config/temporal.ts';
import { GRPC_STATUS } from '../contracts/grpc.ts';
import { AesGcmPayloadCodec } from './codec.ts';

/** What a client connection and a worker connection both take. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: NonNullable<TemporalSettings['tls']>;
  apiKey?: string;
  metadata?: Record<string, string>;
}

export class TemporalConnectError extends Error {}

export function connectionOptions(settings: TemporalSettings, address = settings.address): TemporalConnectionOptions {
  if (!address) throw new TemporalConnectError('TEMPORAL_ADDRESS: required (host:port of the Temporal frontend)');
  return {
    address,
    ...(settings.tls !== undefined ? { tls: settings.tls } : {}),
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
    ...(settings.metadata ? { metadata: settings.metadata } : {}),
  };
}

/** The payload codec of every client and worker, when PAYLOAD_CODEC_KEYS holds keys. */
export function dataConverter(config: Pick<Config, 'PAYLOAD_CODEC_KEYS'>): DataConverter | undefined {
  return config.PAYLOAD_CODEC_KEYS.length
    ? { payloadCodecs: [new AesGcmPayloadCodec(config.PAYLOAD_CODEC_KEYS)] }
    : undefined;
}

/**
 * Why a TLS handshake with `address` fails, from Node's own TLS stack with the same CA, certificate and key, or
 * undefined when it succeeds. gRPC's error for a bad server CA is only "failed to connect before the deadline".
 */
async function tlsDiagnosis(settings: TemporalSettings, address: string): Promise<string | undefined> {
  if (!settings.tls) return undefined;
  const t = typeof settings.tls === 'object' ? settings.tls : {};
  const [host, port] = [
    address.slice(0, address.lastIndexOf(':')),
    Number(address.slice(address.lastIndexOf(':') + 1)),
  ];
  return new Promise((resolve) => {
    const socket = tls.connect({
      host,
      port,
      servername: t.serverNameOverride ?? (net.isIP(host) ? undefined : host),
      ca: t.serverRootCACertificate,
      cert: t.clientCertPair?.crt,
      key: t.clientCertPair?.key,
      ALPNProtocols: ['h2'],
    });
    const done = (why: string | undefined) => {
      socket.destroy();
      resolve(why);
    };
    socket.setTimeout(5000, () => done('TLS handshake timed out'));
    // TLS 1.3 reports a refused client certificate after the handshake: wait for the server's first word.
    socket.once('secureConnect', () => setTimeout(() => done(undefined), 2000));
    socket.on('data', () => undefined);
    socket.once('end', () =>
      done('TLS: the server closed the connection right after the handshake (it refused the client certificate?)'),
    );
    // OpenSSL's messages carry its source file and line; the reason is the part after "SSL routines:<function>:".
    socket.once('error', (e) => done(`TLS: ${/SSL routines:[^:]*:([^:]+)/.exec(e.message)?.[1] ?? e.message}`));
  });
}

function refused(settings: TemporalSettings, address: string, err: unknown, tlsWhy?: string): TemporalConnectError {
  // The SDK wraps the server's answer ("Failed to connect to Temporal server"); the reason is further down the chain.
  const messages: string[] = [];
  for (let e: unknown = err; e; e = e instanceof Error ? e.cause : undefined) {
    const m = (e instanceof Error ? e.message : String(e)).trim();
    if (m && !messages.some((seen) => seen.includes(m))) messages.push(m);
  }
  if (tlsWhy) messages.push(tlsWhy);
  const cause = messages.join(': ');
  const hint = settings.tls
    ? 'check TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_CLIENT_CERT_PATH/KEY_PATH, TEMPORAL_TLS_SERVER_NAME and TEMPORAL_API_KEY'
    : 'is it up, and does it want TLS (TEMPORAL_TLS, TEMPORAL_API_KEY)?';
  return new TemporalConnectError(
    `cannot reach Temporal at ${address} (${settings.summary.replace(/^\S+ /, '')}): ${cause}; ${hint}`,
    { cause: err },
  );
}

/**
 * A client of the configured namespace, connected and proven (one call to the server, so a refused certificate or
 * API key stops the caller here, with the reason). `address` overrides the configured one (a runner's own server).
 */
export async function connectClient(
  config: Config,
  opts: {
    address?: string;
    connectTimeoutMs?: number;
    /**
     * false: a call refused with RESOURCE_EXHAUSTED (over the cluster's rate limits) fails at once instead of being
     * retried by the client with its own backoff, for a caller that orders its own retries (the ingest's queues).
     * Every other retryable failure is still retried.
     */
    retryWhenThrottled?: boolean;
    /**
     * After losing the server, the longest wait between two attempts to reach it again: gRPC's reconnect backoff
     * (by default ×1.6 from 1 s up to 120 s, so after a minute away the next attempt could be half a minute off) and
     * the client's retries of a call refused meanwhile (by default up to 5 s apart) are capped at this. For a caller
     * whose work waits for the server's return (the ingest's held events).
     */
    reconnectMs?: number;
  } = {},
): Promise<{ client: Client; connection: Connection }> {
  const options = connectionOptions(config.temporal, opts.address ?? config.TEMPORAL_ADDRESS);
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({
      ...options,
      connectTimeout: opts.connectTimeoutMs ?? 10_000,
      ...(opts.reconnectMs !== undefined
        ? {
            channelArgs: {
              'grpc.initial_reconnect_backoff_ms': Math.min(1000, opts.reconnectMs),
              'grpc.max_reconnect_backoff_ms': opts.reconnectMs,
            },
          }
        : {}),
      ...(opts.retryWhenThrottled === false || opts.reconnectMs !== undefined
        ? { interceptors: [retryInterceptor(opts.retryWhenThrottled !== false, opts.reconnectMs)] }
        : {}),
    });
    await connection.workflowService.getSystemInfo({});
  } catch (err) {
    await connection?.close().catch(() => undefined);
    throw refused(config.temporal, options.address, err, await tlsDiagnosis(config.temporal, options.address));
  }
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: dataConverter(config) });
  return { client, connection };
}

/**
 * The client's default retries, less RESOURCE_EXHAUSTED unless `throttled`; with `maxIntervalMs`, the retries of
 * other failures (the server unreachable) at most that far apart (the default's ×1.7 from 100 ms, with its ±20 %
 * jitter, capped there instead of at 5 s). The SDK's own `maxIntervalMs` option is ignored by
 * `defaultGrpcRetryOptions` (1.24 always caps at 5 s), hence the delay written out here.
 */
function retryInterceptor(throttled: boolean, maxIntervalMs?: number) {
  const defaults = defaultGrpcRetryOptions();
  return makeGrpcRetryInterceptor({
    delayFunction: (attempt, status) =>
      maxIntervalMs === undefined || status.code === GRPC_STATUS.RESOURCE_EXHAUSTED
        ? defaults.delayFunction(attempt, status)
        : Math.min(maxIntervalMs, 100 * 1.7 ** attempt) * (0.8 + Math.random() * 0.4),
    retryableDecider: (attempt, status) =>
      (throttled || status.code !== GRPC_STATUS.RESOURCE_EXHAUSTED) && defaults.retryableDecider(attempt, status),
  });
}

/** A worker connection (for Worker.create; workers take the payload codec from `dataConverter(config)`). */
export async function connectNative(config: Config, opts: { address?: string } = {}): Promise<NativeConnection> {
  const options = connectionOptions(config.temporal, opts.address ?? config.TEMPORAL_ADDRESS);
  try {
    return await NativeConnection.connect(options);
  } catch (err) {
    throw refused(config.temporal, options.address, err, await tlsDiagnosis(config.temporal, options.address));
  }
}

/** Readiness: why Temporal does not answer on this client connection (within 2 s), or undefined when it does. */
export async function temporalProblem(connection: Connection): Promise<string | undefined> {
  try {
    await connection.withDeadline(Date.now() + 2000, () => connection.workflowService.getSystemInfo({}));
    return undefined;
  } catch (err) {
    return `Temporal does not answer: ${err instanceof Error ? err.message : String(err)}`;
  }
}
