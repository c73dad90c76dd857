// Signed tokens (HS256 JWTs): the account ID, a jti (for revocation) and an expiry. Nothing else is trusted from them.
import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';

const ISSUER = 'handoff';

export interface TokenClaims {
  accountId: string;
  jti: string;
  /** ms since the epoch */
  expiresAt: number;
}

export class TokenSigner {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly ttlS: number,
  ) {
    if (secret.length < 32) throw new Error('the token secret must be at least 32 characters');
    this.key = new TextEncoder().encode(secret);
  }

  async issue(accountId: string, now = Date.now()): Promise<{ token: string; claims: TokenClaims }> {
    const jti = randomUUID();
    const exp = Math.floor(now / 1000) + this.ttlS;
    const token = await new SignJWT({ account_id: accountId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setJti(jti)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, claims: { accountId, jti, expiresAt: exp * 1000 } };
  }

  /** The claims of a well-signed, unexpired token; undefined for anything else (forged, expired, malformed). */
  async verify(token: string): Promise<TokenClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        requiredClaims: ['exp', 'jti'],
      });
      const accountId = payload.account_id;
      if (typeof accountId !== 'string' || typeof payload.jti !== 'string' || typeof payload.exp !== 'number') {
        return undefined;
      }
      return { accountId, jti: payload.jti, expiresAt: payload.exp * 1000 };
    } catch {
      return undefined;
    }
  }
}
