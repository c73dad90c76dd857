// The gRPC status of a failed call to Temporal. The client raises a ServiceError whose `cause` (or the cause's cause)
// carries the numeric status; the codes are written out here rather than taken from @grpc/grpc-js, which is not a
// direct dependency.
import proto from '@temporalio/proto';

export const GRPC_STATUS = {
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** The error and its causes, a few links deep: the client's ServiceError wraps the gRPC error that has the status. */
function* causeChain(err: unknown): Generator<object> {
  let e: unknown = err;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    yield e;
    e = (e as { cause?: unknown }).cause;
  }
}

/** The first numeric `code` along the error's cause chain (a few links deep), if any. */
export function grpcCode(err: unknown): number | undefined {
  for (const e of causeChain(err)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

/**
 * The messages along the error's cause chain, outermost first: the client's ServiceError says only which call failed
 * ("Failed to signal Workflow"), its cause what the server answered.
 */
export function causeMessages(err: unknown): string {
  const messages = [...causeChain(err)].map((e) => (e instanceof Error ? e.message : String(e)));
  return messages.length ? messages.join(' ← ') : String(err);
}

const RESOURCE_EXHAUSTED_FAILURE = 'type.googleapis.com/temporal.api.errordetails.v1.ResourceExhaustedFailure';

/**
 * Why Temporal answered RESOURCE_EXHAUSTED, from the ResourceExhaustedFailure in the status details along the error's
 * cause chain: the cause's name without its prefix (`RPS_LIMIT`, `BUSY_WORKFLOW`, …), or undefined when the error
 * carries none. A busy workflow (one workflow's requests queued on its lock) is no rate limit of the namespace.
 */
export function resourceExhaustedCause(err: unknown): string | undefined {
  for (const e of causeChain(err)) {
    const metadata = (e as { metadata?: { get?: (key: string) => unknown[] } }).metadata;
    const raw = typeof metadata?.get === 'function' ? metadata.get('grpc-status-details-bin')[0] : undefined;
    if (raw instanceof Uint8Array) {
      try {
        for (const detail of proto.google.rpc.Status.decode(raw).details ?? []) {
          if (detail.type_url !== RESOURCE_EXHAUSTED_FAILURE || !detail.value) continue;
          const { cause } = proto.temporal.api.errordetails.v1.ResourceExhaustedFailure.decode(detail.value);
          const name = proto.temporal.api.enums.v1.ResourceExhaustedCause[cause ?? 0];
          return name?.replace(/^RESOURCE_EXHAUSTED_CAUSE_/, '');
        }
      } catch {
        return undefined; // details that do not decode say nothing of the cause
      }
    }
  }
  return undefined;
}
