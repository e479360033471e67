// POST /v3/auth/tokens as the stand-in answers it, apart from the transport: the HTTP stand-in and the in-process
// token path (src/keystone/in-process-post.ts) both run this, so a token costs the client the same parsing and
// carries the same bytes whichever way it came.
import { newTokenId, PROJECT_TOKEN_LENGTH, TRUST_TOKEN_LENGTH } from './token-id.ts';
import { DOMAIN, newAuditId, type StandInIdentity, type TokenFields } from './token-doc.ts';

export interface IssuerUser { id: string; name: string; password: string }

export interface Issuer {
  identity: StandInIdentity;
  /** by name */
  users: Map<string, IssuerUser>;
  /** the trustee a usable trust delegates to; undefined for a trust that is unknown or deleted */
  trusteeOf(trustId: string): string | undefined;
  /** the issue instant; a simulation's virtual clock gives each trust its notification's scheduled instant */
  now(trustId?: string): number;
  render(t: TokenFields, withCatalog: boolean): [head: string, tail: string];
}

export type IssueResult =
  /** body: the document in two pieces (src/keystone/token-doc.ts), joined by whoever needs one string */
  | { status: 201; tokenId: string; fields: TokenFields; body: [string, string] }
  | { status: 400 | 401; text: string };

/** Keystone's error document. Messages never echo a token or password. */
export const errorDocument = (code: number, title: string, message: string) => JSON.stringify({ error: { code, message, title } });
const UNAUTHORIZED = { status: 401, text: errorDocument(401, 'Unauthorized', 'The request you have made requires authentication.') } as const;

function userFrom(users: Issuer['users'], identity: any): IssuerUser | undefined {
  if (!identity || !Array.isArray(identity.methods) || !identity.methods.includes('password')) return undefined;
  const u = identity.password?.user;
  if (!u || typeof u.password !== 'string') return undefined;
  const user = u.id ? [...users.values()].find((x) => x.id === u.id) : users.get(u.name);
  if (!user || user.password !== u.password) return undefined;
  if (!u.id && (u.domain?.name ?? u.domain?.id) && u.domain.name !== DOMAIN.name && u.domain.id !== DOMAIN.id) return undefined;
  return user;
}

export function issueToken(issuer: Issuer, requestText: string, withCatalog: boolean): IssueResult {
  let body: any;
  try {
    body = JSON.parse(requestText);
  } catch {
    return { status: 400, text: errorDocument(400, 'Bad Request', 'Expecting to find valid JSON in request body.') };
  }
  const user = userFrom(issuer.users, body?.auth?.identity);
  if (!user) return UNAUTHORIZED;
  const scope = body.auth.scope;
  let trustId: string | undefined;
  if (scope?.['OS-TRUST:trust']) {
    const id = scope['OS-TRUST:trust'].id;
    // Keystone answers 401 for a trust that is unknown, deleted or expired, and for a wrong trustee.
    if (typeof id !== 'string' || issuer.trusteeOf(id) !== user.id) return UNAUTHORIZED;
    trustId = id;
  } else if (scope?.project) {
    const p = scope.project;
    if (p.id !== issuer.identity.project.id && p.name !== issuer.identity.project.name) return UNAUTHORIZED;
  } else {
    return UNAUTHORIZED;
  }
  const tokenId = newTokenId(trustId ? TRUST_TOKEN_LENGTH : PROJECT_TOKEN_LENGTH);
  const fields: TokenFields = { userId: user.id, trustId, expiresAt: issuer.now(trustId) + issuer.identity.lifetimeMs, auditId: newAuditId() };
  return { status: 201, tokenId, fields, body: issuer.render(fields, withCatalog) };
}
