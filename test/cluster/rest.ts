// The REST client of the scenarios: a mobile app asking for a transfer, retrying as an app would while an API process
// is away or the engine lags (network error, 5xx, or a call the engine has not learnt yet), with one Idempotency-Key
// per request so a retry cannot start work twice.
import crypto from 'node:crypto';

export interface RestAnswer {
  /** The last HTTP status (0: no answer at all). */
  status: number;
  body: unknown;
  /** Every attempt's status, in order (0: network error). */
  attempts: number[];
  /** The engine took the request: 2xx, or a 409 after an attempt whose answer was lost (the first one went through). */
  accepted: boolean;
  /** The API process (its URL) that gave the last answer. */
  via: string;
}

export class RestClient {
  private token?: string;
  private next = 0;

  constructor(
    private readonly urls: readonly string[],
    private readonly accountId: string,
    private readonly apiKey: string,
    private readonly retryForMs = 30_000,
  ) {}

  /** Any API process, in turn; a failed attempt moves on to the next. */
  private url(): string {
    const url = this.urls[this.next % this.urls.length]!;
    this.next++;
    return url;
  }

  private async auth(): Promise<string> {
    if (this.token) return this.token;
    const until = Date.now() + this.retryForMs;
    for (;;) {
      try {
        const res = await fetch(`${this.url()}/v2/api_auth`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ data: { api_key: this.apiKey } }),
          signal: AbortSignal.timeout(15_000),
        });
        if (res.ok) {
          this.token = ((await res.json()) as { auth_token: string }).auth_token;
          return this.token;
        }
      } catch {
        // the API is away: again
      }
      if (Date.now() > until) throw new Error('no API token: every API process refused or was away');
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /**
   * POST /v2/accounts/{A}/channels/{callId}. `onSent` runs as the first attempt leaves (a kill aimed at the request
   * lands while it is in flight).
   */
  async channelAction(callId: string, data: Record<string, unknown>, onSent?: () => void): Promise<RestAnswer> {
    const key = crypto.randomUUID();
    const attempts: number[] = [];
    const until = Date.now() + this.retryForMs;
    let status = 0;
    let body: unknown;
    for (;;) {
      const token = await this.auth().catch(() => '');
      const via = this.url();
      const request = fetch(`${via}/v2/accounts/${this.accountId}/channels/${callId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-auth-token': token, 'idempotency-key': key },
        body: JSON.stringify({ data }),
        signal: AbortSignal.timeout(20_000),
      });
      if (attempts.length === 0) onSent?.();
      try {
        const res = await request;
        status = res.status;
        body = await res.json().catch(() => undefined);
      } catch {
        status = 0;
        body = undefined;
      }
      attempts.push(status);
      if (status === 401) this.token = undefined;
      if (status >= 200 && status < 300) return { status, body, attempts, accepted: true, via };
      if (status === 409 && attempts.length > 1) return { status, body, attempts, accepted: true, via };
      if (!retryable(status, body) || Date.now() > until) return { status, body, attempts, accepted: false, via };
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** Away (network, 5xx), a token lost with a restart, or the engine has not caught up with the switch yet. */
function retryable(status: number, body: unknown): boolean {
  if (status === 0 || status >= 500 || status === 401 || status === 404) return true;
  if (status === 400) {
    const data = (body as { data?: Record<string, unknown> } | undefined)?.data ?? {};
    return 'other_leg_call_id' in data || 'answered' in data;
  }
  return false;
}
