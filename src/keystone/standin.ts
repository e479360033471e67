// The embedded Keystone v3 stand-in: a node:http server on 127.0.0.1 that implements exactly the part of the
// Identity API the cache designs (and keystoneauth's discovery) use, with Keystone's response shapes and sizes.
// It is started and stopped by the harness, so a benchmark needs no service started by hand.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { buildCatalog, hexId, type CatalogService } from './catalog.ts';
import { pyJson } from './py-json.ts';
import { newTokenId, PROJECT_TOKEN_LENGTH, TRUST_TOKEN_LENGTH } from './token-id.ts';

export interface StandInOptions {
  /** services in the catalog (× 3 interfaces); Keystone deployments commonly have ~13 */
  services?: number;
  /** host in the catalog's endpoint URLs (default 127.0.0.1, as scripts/keystone-local.sh registers them) */
  catalogHost?: string;
  /** token lifetime, seconds (Keystone's default 3600) */
  tokenLifetimeS?: number;
  /** trusts created at start-up, trustor → trustee on the bench project */
  trusts?: number;
  /** keep every issued token id in memory so tests can grep outputs for them (never on in a benchmark) */
  recordTokens?: boolean;
  /** clock, for accelerated-time simulations */
  now?: () => number;
}

/** A misbehaviour injected into POST /v3/auth/tokens, for the fault tests. */
export type Fault =
  | { kind: 'status'; status: number }
  | { kind: 'malformed' }
  | { kind: 'delay'; ms: number }
  | { kind: 'hang' };

export interface Credentials {
  username: string;
  password: string;
  userDomainName: string;
  projectName: string;
  projectDomainName: string;
}

export interface StandIn {
  /** http://127.0.0.1:<port> */
  url: string;
  /** http://127.0.0.1:<port>/v3, what clients take as auth_url */
  authUrl: string;
  /** the trustee (service user) that authenticates with the trusts */
  trustee: Credentials;
  /** the trustor that created the trusts */
  trustor: Credentials;
  trustIds: string[];
  tokensIssued(): number;
  /** POST /v3/auth/tokens requests received, answered or not (fault tests count retries with it) */
  authRequests(): number;
  issuedTokens(): string[];
  createTrusts(count: number): string[];
  deleteTrust(id: string): void;
  setFault(fault: Fault | null): void;
  close(): Promise<void>;
}

interface User { id: string; name: string; password: string }
interface Trust { id: string; trustorId: string; trusteeId: string; projectId: string; deleted: boolean }
interface IssuedToken { userId: string; trustId?: string; projectId: string; expiresAt: number; auditId: string }

const DOMAIN = { id: 'default', name: 'Default' };
const MAX_REMEMBERED_TOKENS = 300_000;

/** Keystone's error document. Messages never echo a token or password. */
function sendError(res: ServerResponse, code: number, title: string, message: string): void {
  send(res, code, { error: { code, message, title } });
}
function send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
const unauthorized = (res: ServerResponse) =>
  sendError(res, 401, 'Unauthorized', 'The request you have made requires authentication.');

async function readBody(req: IncomingMessage, limit = 1 << 20): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const now = options.now ?? Date.now;
  const lifetimeMs = (options.tokenLifetimeS ?? 3600) * 1000;
  const projectId = hexId();
  const catalog: CatalogService[] = buildCatalog(options.services ?? 13, options.catalogHost, projectId);
  const catalogJson = pyJson(catalog);
  const secret = () => randomBytes(18).toString('base64url');
  const trustee: User = { id: hexId(), name: 'bench-trustee', password: secret() };
  const trustor: User = { id: hexId(), name: 'bench-trustor', password: secret() };
  const users = new Map([trustee, trustor].map((u) => [u.name, u]));
  const project = { id: projectId, name: 'bench', domain: DOMAIN };
  const roles = [{ id: hexId(), name: 'reader' }, { id: hexId(), name: 'member' }];
  const trusts = new Map<string, Trust>();
  const tokens = new Map<string, IssuedToken>();
  const recorded: string[] = [];
  let issued = 0;
  let authRequests = 0;
  let fault: Fault | null = null;
  let base = '';

  const createTrusts = (count: number): string[] => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const t: Trust = { id: hexId(), trustorId: trustor.id, trusteeId: trustee.id, projectId: project.id, deleted: false };
      trusts.set(t.id, t);
      ids.push(t.id);
    }
    return ids;
  };

  const versionDoc = () => ({
    id: 'v3.14',
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: `${base}/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  });

  // Fernet timestamps have one-second resolution; Keystone prints them with six zero microsecond digits.
  const isoSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', '.000000Z');

  /** The token document in Keystone 22's key order and role shapes (test/fixtures/real-keystone-shape.json). */
  function tokenBody(t: IssuedToken, user: User, withCatalog: boolean): string {
    const token: Record<string, unknown> = {
      methods: ['password'],
      user: { domain: DOMAIN, id: user.id, name: user.name, password_expires_at: null },
      audit_ids: [t.auditId],
      expires_at: isoSeconds(t.expiresAt),
      issued_at: isoSeconds(t.expiresAt - lifetimeMs),
    };
    if (t.trustId) {
      token['OS-TRUST:trust'] = { id: t.trustId, trustor_user: { id: trustor.id }, trustee_user: { id: trustee.id }, impersonation: false };
      token.project = { domain: DOMAIN, id: project.id, name: project.name };
      // A trust token carries the delegated role and the roles it implies, as full role documents.
      token.roles = roles.map((r) => ({ id: r.id, name: r.name, domain_id: null, description: null, options: { immutable: true } }));
    } else {
      token.project = { domain: DOMAIN, id: project.id, name: project.name };
      token.is_domain = false;
      token.roles = roles;
    }
    // The catalog is the same for every token: serialise it once and splice it in (it is ~90 % of the body).
    const head = pyJson({ token }).slice(0, -2);
    return withCatalog ? `${head}, "catalog": ${catalogJson}}}` : `${head}}}`;
  }

  function userFromIdentity(identity: any): User | undefined {
    if (!identity || !Array.isArray(identity.methods) || !identity.methods.includes('password')) return undefined;
    const u = identity.password?.user;
    if (!u || typeof u.password !== 'string') return undefined;
    const user = u.id ? [...users.values()].find((x) => x.id === u.id) : users.get(u.name);
    if (!user || user.password !== u.password) return undefined;
    if (!u.id && (u.domain?.name ?? u.domain?.id) && u.domain.name !== DOMAIN.name && u.domain.id !== DOMAIN.id) {
      return undefined;
    }
    return user;
  }

  async function issueToken(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (fault?.kind === 'hang') return; // never answers: the client's timeout must fire
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, (fault as { ms: number }).ms));
    if (fault?.kind === 'status') {
      return sendError(res, fault.status, 'Injected fault', `The stand-in was told to answer ${fault.status}.`);
    }
    let body: any;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return sendError(res, 400, 'Bad Request', 'Expecting to find valid JSON in request body.');
    }
    const user = userFromIdentity(body?.auth?.identity);
    if (!user) return unauthorized(res);
    const scope = body.auth.scope;
    let trustId: string | undefined;
    if (scope?.['OS-TRUST:trust']) {
      const trust = trusts.get(scope['OS-TRUST:trust'].id);
      // Keystone answers 401 for a trust that is unknown, deleted or expired, and for a wrong trustee.
      if (!trust || trust.deleted || trust.trusteeId !== user.id) return unauthorized(res);
      trustId = trust.id;
    } else if (scope?.project) {
      const p = scope.project;
      if (p.id !== project.id && p.name !== project.name) return unauthorized(res);
    } else {
      return unauthorized(res);
    }
    const tokenId = newTokenId(trustId ? TRUST_TOKEN_LENGTH : PROJECT_TOKEN_LENGTH);
    const rec: IssuedToken = {
      userId: user.id,
      trustId,
      projectId: project.id,
      expiresAt: now() + lifetimeMs,
      auditId: randomBytes(16).toString('base64url').slice(0, 22),
    };
    issued++;
    if (options.recordTokens) recorded.push(tokenId);
    tokens.set(tokenId, rec);
    if (tokens.size > MAX_REMEMBERED_TOKENS) tokens.delete(tokens.keys().next().value as string);
    if (fault?.kind === 'malformed') {
      res.writeHead(201, { 'content-type': 'application/json', 'x-subject-token': tokenId });
      res.end('{"token": {"methods": ["password"], "expires_at": ');
      return;
    }
    send(res, 201, tokenBody(rec, user, !url.searchParams.has('nocatalog')), { 'x-subject-token': tokenId });
  }

  function authToken(req: IncomingMessage): IssuedToken | undefined {
    const id = req.headers['x-auth-token'];
    const t = typeof id === 'string' ? tokens.get(id) : undefined;
    return t && t.expiresAt > now() ? t : undefined;
  }

  function validateToken(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (!authToken(req)) return unauthorized(res);
    const subject = req.headers['x-subject-token'];
    const t = typeof subject === 'string' ? tokens.get(subject) : undefined;
    if (!t || t.expiresAt <= now() || (t.trustId && trusts.get(t.trustId)?.deleted)) {
      return sendError(res, 404, 'Not Found', 'Could not find token.');
    }
    const user = [...users.values()].find((u) => u.id === t.userId)!;
    send(res, 200, tokenBody(t, user, !url.searchParams.has('nocatalog')), { 'x-subject-token': subject as string });
  }

  async function trustApi(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const caller = authToken(req);
    if (!caller) return unauthorized(res);
    if (req.method === 'POST' && path === '/v3/OS-TRUST/trusts') {
      await readBody(req);
      const [id] = createTrusts(1);
      return send(res, 201, { trust: { id, impersonation: false, project_id: project.id } });
    }
    const m = /^\/v3\/OS-TRUST\/trusts\/([0-9a-f]+)$/.exec(path);
    const trust = m ? trusts.get(m[1]) : undefined;
    if (req.method === 'DELETE' && trust && !trust.deleted) {
      trust.deleted = true;
      res.writeHead(204).end();
      return;
    }
    sendError(res, 404, 'Not Found', 'Could not find trust.');
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const route = async () => {
      if (req.method === 'GET' && path === '/') {
        return send(res, 300, { versions: { values: [versionDoc()] } });
      }
      if (req.method === 'GET' && path === '/v3') return send(res, 200, { version: versionDoc() });
      if (path === '/v3/auth/tokens' && req.method === 'POST') {
        authRequests++;
        return issueToken(req, res, url);
      }
      if (path === '/v3/auth/tokens' && (req.method === 'GET' || req.method === 'HEAD')) {
        return validateToken(req, res, url);
      }
      if (path.startsWith('/v3/OS-TRUST/trusts')) return trustApi(req, res, path);
      sendError(res, 404, 'Not Found', 'The resource could not be found.');
    };
    route().catch(() => {
      if (!res.headersSent) sendError(res, 500, 'Internal Server Error', 'An unexpected error occurred.');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000; // Apache's KeepAliveTimeout; undici closes sockets whose advertised timeout is <= 2 s
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const creds = (u: User): Credentials => ({
    username: u.name,
    password: u.password,
    userDomainName: DOMAIN.name,
    projectName: project.name,
    projectDomainName: DOMAIN.name,
  });

  return {
    url: base,
    authUrl: `${base}/v3`,
    trustee: creds(trustee),
    trustor: creds(trustor),
    trustIds: createTrusts(options.trusts ?? 0),
    tokensIssued: () => issued,
    authRequests: () => authRequests,
    issuedTokens: () => [...recorded],
    createTrusts,
    deleteTrust: (id) => {
      const t = trusts.get(id);
      if (t) t.deleted = true;
    },
    setFault: (f) => {
      fault = f;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
