// The gRPC status of a failed call to Temporal. The client raises a ServiceError whose `cause` (or the cause's cause)
// carries the numeric status; the codes are written out here rather than taken from @grpc/grpc-js, which is not a
// direct dependency.

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

/** The first numeric `code` along the error's cause chain (a few links deep), if any. */
export function grpcCode(err: unknown): number | undefined {
  let e: unknown = err;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
