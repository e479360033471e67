// The embedded Keystone v3 stand-in: a node:http server on 127.0.0.1 that implements exactly the part of the
// Identity API the cache designs (and keystoneauth's discovery) use, with Keystone's response shapes and sizes.
// It is started and stopped by the harness, so a benchmark needs no service started by hand.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { buildCatalog, hexId } from './catalog.ts';
import { DOMAIN, identityOf, tokenDocs, type StandInIdentity, type TokenFields } from './token-doc.ts';
import { errorDocument, issueToken, type Issuer, type IssuerUser } from './token-issue.ts';

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
  /** clock, for simulations: the instant a token for this trust is issued at (validation asks without one) */
  now?: (trustId?: string) => number;
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
  /** what its token documents say, for the in-process token path (src/keystone/in-process-post.ts) */
  identity: StandInIdentity;
  tokensIssued(): number;
  /** POST /v3/auth/tokens requests received, answered or not (fault tests count retries with it) */
  authRequests(): number;
  issuedTokens(): string[];
  createTrusts(count: number): string[];
  deleteTrust(id: string): void;
  setFault(fault: Fault | null): void;
  close(): Promise<void>;
}

type User = IssuerUser;
interface Trust { id: string; trustorId: string; trusteeId: string; projectId: string; deleted: boolean }

const MAX_REMEMBERED_TOKENS = 300_000;

function sendError(res: ServerResponse, code: number, title: string, message: string): void {
  send(res, code, errorDocument(code, title, message));
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

/** The stand-in's state and its answers to each route; the HTTP server around it is startStandIn's. */
class StandInKeystone {
  readonly identity: StandInIdentity;
  readonly issuer: Issuer;
  readonly trustee: User;
  readonly trustor: User;
  readonly project: { id: string; name: string; domain: typeof DOMAIN };
  readonly trusts = new Map<string, Trust>();
  private readonly tokens = new Map<string, TokenFields>();
  readonly recorded: string[] = [];
  issued = 0;
  authRequests = 0;
  fault: Fault | null = null;
  base = '';

  constructor(private readonly options: StandInOptions) {
    const now = options.now ?? Date.now;
    const lifetimeMs = (options.tokenLifetimeS ?? 3600) * 1000;
    const secret = () => randomBytes(18).toString('base64url');
    this.trustee = { id: hexId(), name: 'bench-trustee', password: secret() };
    this.trustor = { id: hexId(), name: 'bench-trustor', password: secret() };
    this.project = { id: hexId(), name: 'bench', domain: DOMAIN };
    const roles = [{ id: hexId(), name: 'reader' }, { id: hexId(), name: 'member' }];
    this.identity = identityOf(buildCatalog(options.services ?? 13, options.catalogHost, this.project.id), {
      project: { id: this.project.id, name: this.project.name }, trustee: { id: this.trustee.id, name: this.trustee.name },
      trustor: { id: this.trustor.id, name: this.trustor.name }, roles, lifetimeMs,
    });
    this.issuer = {
      identity: this.identity, users: new Map([this.trustee, this.trustor].map((u) => [u.name, u])), now, render: tokenDocs(this.identity),
      trusteeOf: (id) => {
        const t = this.trusts.get(id);
        return t && !t.deleted ? t.trusteeId : undefined;
      },
    };
  }

  createTrusts(count: number): string[] {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const t: Trust = { id: hexId(), trustorId: this.trustor.id, trusteeId: this.trustee.id, projectId: this.project.id, deleted: false };
      this.trusts.set(t.id, t);
      ids.push(t.id);
    }
    return ids;
  }

  async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.base);
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (req.method === 'GET' && path === '/') return send(res, 300, { versions: { values: [this.versionDoc()] } });
    if (req.method === 'GET' && path === '/v3') return send(res, 200, { version: this.versionDoc() });
    if (path === '/v3/auth/tokens' && req.method === 'POST') {
      this.authRequests++;
      return this.issue(req, res, url);
    }
    if (path === '/v3/auth/tokens' && (req.method === 'GET' || req.method === 'HEAD')) return this.validate(req, res, url);
    if (path.startsWith('/v3/OS-TRUST/trusts')) return this.trustApi(req, res, path);
    sendError(res, 404, 'Not Found', 'The resource could not be found.');
  }

  private versionDoc() {
    return {
      id: 'v3.14',
      status: 'stable',
      updated: '2020-04-07T00:00:00Z',
      links: [{ rel: 'self', href: `${this.base}/v3/` }],
      'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
    };
  }

  private async issue(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const fault = this.fault;
    if (fault?.kind === 'hang') return; // never answers: the client's timeout must fire
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
    if (fault?.kind === 'status') {
      return sendError(res, fault.status, 'Injected fault', `The stand-in was told to answer ${fault.status}.`);
    }
    let requestText: string;
    try {
      requestText = await readBody(req);
    } catch {
      return sendError(res, 400, 'Bad Request', 'Expecting to find valid JSON in request body.');
    }
    const r = issueToken(this.issuer, requestText, !url.searchParams.has('nocatalog'));
    if (r.status !== 201) return send(res, r.status, r.text);
    this.issued++;
    if (this.options.recordTokens) this.recorded.push(r.tokenId);
    this.tokens.set(r.tokenId, r.fields);
    if (this.tokens.size > MAX_REMEMBERED_TOKENS) this.tokens.delete(this.tokens.keys().next().value as string);
    if (this.fault?.kind === 'malformed') {
      res.writeHead(201, { 'content-type': 'application/json', 'x-subject-token': r.tokenId });
      res.end('{"token": {"methods": ["password"], "expires_at": ');
      return;
    }
    send(res, 201, r.body.join(''), { 'x-subject-token': r.tokenId });
  }

  private authToken(req: IncomingMessage): TokenFields | undefined {
    const id = req.headers['x-auth-token'];
    const t = typeof id === 'string' ? this.tokens.get(id) : undefined;
    return t && t.expiresAt > this.issuer.now() ? t : undefined;
  }

  private validate(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (!this.authToken(req)) return unauthorized(res);
    const subject = req.headers['x-subject-token'];
    const t = typeof subject === 'string' ? this.tokens.get(subject) : undefined;
    if (!t || t.expiresAt <= this.issuer.now() || (t.trustId && this.trusts.get(t.trustId)?.deleted)) {
      return sendError(res, 404, 'Not Found', 'Could not find token.');
    }
    send(res, 200, this.issuer.render(t, !url.searchParams.has('nocatalog')).join(''), { 'x-subject-token': subject as string });
  }

  private async trustApi(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (!this.authToken(req)) return unauthorized(res);
    if (req.method === 'POST' && path === '/v3/OS-TRUST/trusts') {
      await readBody(req);
      const [id] = this.createTrusts(1);
      return send(res, 201, { trust: { id, impersonation: false, project_id: this.project.id } });
    }
    const m = /^\/v3\/OS-TRUST\/trusts\/([0-9a-f]+)$/.exec(path);
    const trust = m ? this.trusts.get(m[1]) : undefined;
    if (req.method === 'DELETE' && trust && !trust.deleted) {
      trust.deleted = true;
      res.writeHead(204).end();
      return;
    }
    sendError(res, 404, 'Not Found', 'Could not find trust.');
  }
}

export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const ks = new StandInKeystone(options);
  const server = createServer((req, res) => {
    ks.route(req, res).catch(() => {
      if (!res.headersSent) sendError(res, 500, 'Internal Server Error', 'An unexpected error occurred.');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000; // Apache's KeepAliveTimeout; undici closes sockets whose advertised timeout is <= 2 s
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const base = (ks.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const creds = (u: User): Credentials => ({
    username: u.name,
    password: u.password,
    userDomainName: DOMAIN.name,
    projectName: ks.project.name,
    projectDomainName: DOMAIN.name,
  });
  return {
    url: base,
    authUrl: `${base}/v3`,
    trustee: creds(ks.trustee),
    trustor: creds(ks.trustor),
    trustIds: ks.createTrusts(options.trusts ?? 0),
    identity: ks.identity,
    tokensIssued: () => ks.issued,
    authRequests: () => ks.authRequests,
    issuedTokens: () => [...ks.recorded],
    createTrusts: (count) => ks.createTrusts(count),
    deleteTrust: (id) => {
      const t = ks.trusts.get(id);
      if (t) t.deleted = true;
    },
    setFault: (f) => {
      ks.fault = f;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
