// Token ids shaped like Fernet tokens: URL-safe base64 beginning "gAAAAA" (Fernet's version byte and timestamp),
// measured at 183 chars for a project-scoped and 204 for a trust-scoped token on Keystone 22. The rest is random,
// so a token id can never be guessed from a log and every issued token is distinct.
import { randomBytes } from 'node:crypto';

export const PROJECT_TOKEN_LENGTH = 183;
export const TRUST_TOKEN_LENGTH = 204;

export function newTokenId(length: number): string {
  const body = randomBytes(Math.ceil(((length - 6) * 3) / 4)).toString('base64url');
  return ('gAAAAA' + body).slice(0, length);
}
