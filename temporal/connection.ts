// The one place that turns configuration into Temporal connections: every role (workflow worker, node worker, API),
// `npm start`, the scripts, the benchmark and the tests connect through these functions, so TLS, the API key, gRPC
// headers, the namespace and the payload codec are the same everywhere.
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config/index.ts';
import type { TemporalSettings } from '../config/temporal.ts';
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

function refused(settings: TemporalSettings, address: string, err: unknown): TemporalConnectError {
  const cause = err instanceof Error ? err.message : String(err);
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
  opts: { address?: string } = {},
): Promise<{ client: Client; connection: Connection }> {
  const options = connectionOptions(config.temporal, opts.address ?? config.TEMPORAL_ADDRESS);
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...options, connectTimeout: 10_000 });
    await connection.workflowService.getSystemInfo({});
  } catch (err) {
    await connection?.close().catch(() => undefined);
    throw refused(config.temporal, options.address, err);
  }
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: dataConverter(config) });
  return { client, connection };
}

/** A worker connection (for Worker.create; workers take the payload codec from `dataConverter(config)`). */
export async function connectNative(config: Config, opts: { address?: string } = {}): Promise<NativeConnection> {
  const options = connectionOptions(config.temporal, opts.address ?? config.TEMPORAL_ADDRESS);
  try {
    return await NativeConnection.connect(options);
  } catch (err) {
    throw refused(config.temporal, options.address, err);
  }
}
