// Token ids shaped like Fernet tokens: URL-safe base64 beginning "gAAAAA" (Fernet's version byte and timestamp),
// measured at 183 chars for a project-scoped and 204 for a trust-scoped token on Keystone 22. The rest is random,
// so a token id can never be guessed from a log and every issued token is distinct.
import { randomBytes } from 'node:crypto';

export const PROJECT_TOKEN_LENGTH = 183;
export const TRUST_TOKEN_LENGTH = 204;

// Random bytes drawn from a 64 KB pool refilled by one randomBytes call: a call per token cost ~8 µs of a
// worker's time on the in-process token path (as uuid's generator pools them).
const POOL_BYTES = 64 * 1024;
let pool = Buffer.alloc(0);
let used = 0;

/** `n` fresh random bytes (a view into the pool: read them before asking for more). */
export function randomChunk(n: number): Buffer {
  if (used + n > pool.length) {
    pool = randomBytes(Math.max(POOL_BYTES, n));
    used = 0;
  }
  used += n;
  return pool.subarray(used - n, used);
}

export function newTokenId(length: number): string {
  const body = randomChunk(Math.ceil(((length - 6) * 3) / 4)).toString('base64url');
  return ('gAAAAA' + body).slice(0, length);
}
