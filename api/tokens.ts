// Signed tokens (HS256 JWTs): the account ID, the API key that issued the token, a jti (for revocation) and an expiry.
// Nothing else is trusted from them. A token is good only while its key is: rotating or revoking the key ends it.
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT, jwtVerify } from 'jose';

const ISSUER = 'handoff';

export interface TokenClaims {
  accountId: string;
  /** The ID of the API key the token was issued for. */
  keyId: string;
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

  async issue(accountId: string, keyId: string, now = Date.now()): Promise<{ token: string; claims: TokenClaims }> {
    const jti = randomUUID();
    const exp = Math.floor(now / 1000) + this.ttlS;
    const token = await new SignJWT({ account_id: accountId, key_id: keyId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setJti(jti)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, claims: { accountId, keyId, jti, expiresAt: exp * 1000 } };
  }

  /** The claims of a well-signed, unexpired token; undefined for anything else (forged, expired, malformed). */
  async verify(token: string): Promise<TokenClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        requiredClaims: ['exp', 'jti'],
      });
      const { account_id: accountId, key_id: keyId } = payload;
      if (
        typeof accountId !== 'string' ||
        typeof keyId !== 'string' ||
        typeof payload.jti !== 'string' ||
        typeof payload.exp !== 'number'
      ) {
        return undefined;
      }
      return { accountId, keyId, jti: payload.jti, expiresAt: payload.exp * 1000 };
    } catch {
      return undefined;
    }
  }
}

/**
 * The signing secret kept in the data directory when none is configured, so tokens survive restarts: 256 random bits,
 * made once (never overwritten, even by two processes starting together), readable by its owner only.
 */
export function dataDirJwtSecret(dataDir: string): string {
  const file = path.join(dataDir, 'jwt-secret');
  try {
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  // A file an older version wrote, or one copied in by hand, may be world-readable.
  chmodSync(file, 0o600);
  return readFileSync(file, 'utf8').trim();
}
