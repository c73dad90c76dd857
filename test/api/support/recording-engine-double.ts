// A TEST DOUBLE of CallEngine: it records what the HTTP layer asked and answers what each test scripts. It exists
// only to test the API's mapping of requests and engine answers to HTTP; end-to-end transfers run the real engine.
import type {
  CallEngine,
  CallSummary,
  TransferAccepted,
  TransferAsk,
  TransferCodeRequest,
  TransferPending,
  TransferSummary,
} from '../../../api/engine.ts';
import { CallNotFoundError } from '../../../api/engine.ts';

export type RecordedCall =
  | { method: 'getCall'; callId: string }
  | { method: 'requestTransfer'; callId: string; ask: TransferAsk; requestId?: string }
  | { method: 'takeback'; callId: string }
  | { method: 'transferCode'; callId: string; action: TransferCodeRequest }
  | { method: 'hold'; callId: string; action: 'hold' | 'unhold' }
  | { method: 'hangup'; callId: string; cause?: string }
  | { method: 'breakMedia'; callId: string };

/** A recorded call without the request ID the API derives (tests that compare what was asked, not its ID). */
export function withoutRequestId(c: RecordedCall): RecordedCall {
  if (c.method !== 'requestTransfer') return c;
  const { requestId: _dropped, ...rest } = c;
  return rest;
}

type Script<T> = (callId: string) => T | Promise<T>;

export class RecordingEngineDouble implements CallEngine {
  readonly calls: RecordedCall[] = [];
  /** Calls the double knows, by ID (what getCall answers). */
  readonly known = new Map<string, CallSummary>();
  /** Scripted answers; the defaults accept everything for a known call and 404 an unknown one. */
  onTransfer: (
    callId: string,
    ask: TransferAsk,
    requestId?: string,
  ) => TransferAccepted | TransferPending | Promise<TransferAccepted | TransferPending> = (callId, ask) => {
    this.mustKnow(callId);
    return {
      transferId: `transfer:${callId}:peer`,
      transferor: callId,
      transferee: 'peer',
      target: ask.target,
      type: ask.type ?? 'attended',
    };
  };
  onCancel: Script<TransferSummary> = (callId) => {
    this.mustKnow(callId);
    return {
      transferId: `transfer:${callId}:peer`,
      phase: 'connecting',
      transferor: callId,
      transferee: 'peer',
      target: '2600',
      type: 'attended',
      startedAt: 1_700_000_000_000,
    };
  };
  onHangup: Script<void> = (callId) => this.mustKnow(callId);
  onBreak: Script<void> = (callId) => this.mustKnow(callId);
  onGetCall: Script<CallSummary | undefined> = (callId) => this.known.get(callId);

  private mustKnow(callId: string): void {
    if (!this.known.has(callId)) throw new CallNotFoundError(callId);
  }

  async getCall(callId: string): Promise<CallSummary | undefined> {
    this.calls.push({ method: 'getCall', callId });
    return this.onGetCall(callId);
  }

  async requestTransfer(
    callId: string,
    ask: TransferAsk,
    opts: { requestId?: string } = {},
  ): Promise<TransferAccepted | TransferPending> {
    this.calls.push({ method: 'requestTransfer', callId, ask, requestId: opts.requestId });
    return this.onTransfer(callId, ask, opts.requestId);
  }

  async takeback(callId: string): Promise<TransferSummary> {
    this.calls.push({ method: 'takeback', callId });
    return this.onCancel(callId);
  }

  async hold(callId: string, action: 'hold' | 'unhold'): Promise<CallSummary> {
    this.calls.push({ method: 'hold', callId, action });
    this.mustKnow(callId);
    return { ...this.known.get(callId)!, phase: action === 'hold' ? 'held' : 'bridged' };
  }

  async transferCode(callId: string, action: TransferCodeRequest): Promise<TransferSummary> {
    this.calls.push({ method: 'transferCode', callId, action });
    return this.onCancel(callId);
  }

  async hangup(callId: string, cause?: string): Promise<void> {
    this.calls.push(cause === undefined ? { method: 'hangup', callId } : { method: 'hangup', callId, cause });
    await this.onHangup(callId);
  }

  async breakMedia(callId: string): Promise<void> {
    this.calls.push({ method: 'breakMedia', callId });
    await this.onBreak(callId);
  }

  /** What the HTTP layer asked, without the reads. */
  actions(): RecordedCall[] {
    return this.calls.filter((c) => c.method !== 'getCall');
  }
}
