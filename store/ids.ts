// Identifiers and secrets the store hands out.
import { createHash, randomBytes } from 'node:crypto';

/** Kazoo-shaped: 32 lowercase hex characters. */
export function generateId(): string {
  return randomBytes(16).toString('hex');
}

/** 256 random bits as 64 hex characters, the length of Kazoo's API keys. */
export function generateApiKey(): string {
  return randomBytes(32).toString('hex');
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
