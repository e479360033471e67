// The stand-in's token documents: Keystone 22's key order and role shapes (test/fixtures/real-keystone-shape.json),
// written as Python's json.dumps writes them. Everything but four values is the same for every token of a user and
// scope, so each shape is serialised once with placeholders and a token is the template with its values spliced
// in: ~2 µs instead of ~45 µs of serialising in a worker that runs V8's interpreter only.
import { randomChunk } from './token-id.ts';
import { pyJson } from './py-json.ts';
import type { CatalogService } from './catalog.ts';

/** Everything a token document says that is fixed for the stand-in's life: plain data, so it crosses to a worker. */
export interface StandInIdentity {
  project: { id: string; name: string };
  trustee: { id: string; name: string };
  trustor: { id: string; name: string };
  roles: Array<{ id: string; name: string }>;
  /** the service catalog, already serialised (it is ~90 % of a body) */
  catalogJson: string;
  /** token lifetime, ms */
  lifetimeMs: number;
}

export interface TokenFields {
  userId: string;
  trustId?: string;
  /** epoch ms */
  expiresAt: number;
  auditId: string;
}

export const DOMAIN = { id: 'default', name: 'Default' };

export const identityOf = (catalog: CatalogService[], fixed: Omit<StandInIdentity, 'catalogJson'>): StandInIdentity =>
  ({ ...fixed, catalogJson: pyJson(catalog) });

/** Keystone prints Fernet's one-second timestamps with six zero microsecond digits. */
export const isoSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', '.000000Z');


export const newAuditId = () => randomChunk(16).toString('base64url').slice(0, 22);

/** The document as an object: the reference the templates are checked against. */
export function tokenDocument(id: StandInIdentity, t: TokenFields): { token: Record<string, unknown> } {
  const user = t.userId === id.trustor.id ? id.trustor : id.trustee;
  const token: Record<string, unknown> = {
    methods: ['password'],
    user: { domain: DOMAIN, id: user.id, name: user.name, password_expires_at: null },
    audit_ids: [t.auditId],
    expires_at: isoSeconds(t.expiresAt),
    issued_at: isoSeconds(t.expiresAt - id.lifetimeMs),
  };
  if (t.trustId) {
    token['OS-TRUST:trust'] = { id: t.trustId, trustor_user: { id: id.trustor.id }, trustee_user: { id: id.trustee.id }, impersonation: false };
    token.project = { domain: DOMAIN, id: id.project.id, name: id.project.name };
    // A trust token carries the delegated role and the roles it implies, as full role documents.
    token.roles = id.roles.map((r) => ({ id: r.id, name: r.name, domain_id: null, description: null, options: { immutable: true } }));
  } else {
    token.project = { domain: DOMAIN, id: id.project.id, name: id.project.name };
    token.is_domain = false;
    token.roles = id.roles;
  }
  return { token };
}

// Placeholders pyJson writes unchanged; no real value (hex, base64url, ISO time) contains "@".
const HOLES = { audit: '@@A@@', expires: '@@E@@', issued: '@@I@@', trust: '@@T@@' } as const;
type Hole = keyof typeof HOLES;

/**
 * Renders token documents from per-(user, scope) templates; byte for byte pyJson(tokenDocument(…)), as two
 * pieces: the token's own head and the tail with the catalog, one string shared by every token (joined, they are
 * the document; a transport that copies bytes need not join them first).
 */
export function tokenDocs(id: StandInIdentity): (t: TokenFields, withCatalog: boolean) => [head: string, tail: string] {
  const tails = { catalog: `, "catalog": ${id.catalogJson}}}`, bare: '}}' };
  // a token's two times, for the last expiry second asked for: tokens are issued in time order, a few thousand a second
  let last = { second: NaN, expires: '', issued: '' };
  const times = (expiresAt: number) => {
    const second = Math.floor(expiresAt / 1000);
    if (second !== last.second) last = { second, expires: isoSeconds(expiresAt), issued: isoSeconds(expiresAt - id.lifetimeMs) };
    return last;
  };
  const templates = new Map<string, { parts: string[]; holes: Hole[] }>();
  const template = (userId: string, trust: boolean) => {
    const key = `${userId}|${trust}`;
    let tpl = templates.get(key);
    if (!tpl) {
      const doc = tokenDocument(id, { userId, trustId: trust ? HOLES.trust : undefined, expiresAt: 0, auditId: HOLES.audit });
      doc.token.expires_at = HOLES.expires;
      doc.token.issued_at = HOLES.issued;
      const text = pyJson(doc).slice(0, -2);
      const split = text.split(/(@@[AEIT]@@)/);
      const byMark = Object.fromEntries(Object.entries(HOLES).map(([k, v]) => [v, k as Hole]));
      tpl = { parts: split.filter((_, i) => i % 2 === 0), holes: split.filter((_, i) => i % 2 === 1).map((m) => byMark[m]) };
      templates.set(key, tpl);
    }
    return tpl;
  };
  return (t, withCatalog) => {
    const { parts, holes } = template(t.userId, Boolean(t.trustId));
    const { expires, issued } = times(t.expiresAt);
    const values: Record<Hole, string> = { audit: t.auditId, expires, issued, trust: t.trustId ?? '' };
    let head = parts[0];
    for (let i = 0; i < holes.length; i++) head += values[holes[i]] + parts[i + 1];
    // the catalog comes last, as Keystone lists it
    return [head, withCatalog ? tails.catalog : tails.bare];
  };
}
