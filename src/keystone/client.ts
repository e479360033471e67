// A Keystone v3 client built the way python-keystoneclient is: a Session (its own HTTP connection pool, the
// auth plugin holding the credentials and trust id, the whole AccessInfo of the last token with its service
// catalog) and the resource managers a Client instance creates in its constructor. Caching one of these per
// trust is the "full client" design; its memory is what the post measured.
import { Pool } from 'undici';
import { authenticate, needsRefresh, type AuthResult, type AuthTarget, type TokenBody } from './auth.ts';

/** Parsed token + catalog, like keystoneauth's AccessInfoV3. */
export class AccessInfo {
  readonly tokenId: string;
  readonly expiresAt: number;
  readonly issuedAt: number;
  readonly body: TokenBody;
  constructor(result: AuthResult) {
    this.tokenId = result.tokenId;
    this.expiresAt = result.expiresAt;
    this.body = result.body;
    this.issuedAt = Date.parse(result.body.token.issued_at ?? '') || Date.now();
  }
  get catalog() {
    return this.body.token.catalog ?? [];
  }
  /** Endpoint URL for a service type and interface, as ServiceCatalog.url_for does. */
  urlFor(serviceType: string, iface = 'public', region?: string): string | undefined {
    for (const service of this.catalog) {
      if (service.type !== serviceType) continue;
      const ep = service.endpoints.find((e) => e.interface === iface && (!region || e.region_id === region || e.region === region));
      if (ep) return ep.url;
    }
    return undefined;
  }
}

/** The Password auth plugin: keeps what it needs to re-authenticate (keystoneauth's v3.Password does too). */
export class PasswordAuth {
  accessInfo: AccessInfo | undefined;
  constructor(
    readonly target: AuthTarget,
    readonly trustId: string,
  ) {}
}

export class Session {
  readonly pool: Pool;
  readonly userAgent = 'keystone-cache-bench python-keystoneclient-like';
  readonly additionalHeaders: Record<string, string> = {};
  readonly timeoutMs: number;
  constructor(
    readonly auth: PasswordAuth,
    timeoutMs: number,
  ) {
    this.timeoutMs = timeoutMs;
    // One pool per client, as each keystoneclient Session holds its own requests connection pool.
    this.pool = new Pool(new URL(auth.target.authUrl).origin, {
      connections: 1,
      keepAliveTimeout: 4_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  }
}

/** A resource manager (projects, users, trusts…): small, but a Client carries a dozen of them. */
class Manager {
  constructor(
    readonly client: KeystoneV3Client,
    readonly collectionKey: string,
    readonly key: string,
    readonly basePath: string,
  ) {}
}

const MANAGERS: Array<[string, string]> = [
  ['credentials', 'credential'], ['domains', 'domain'], ['endpoints', 'endpoint'], ['groups', 'group'],
  ['policies', 'policy'], ['projects', 'project'], ['regions', 'region'], ['role_assignments', 'role_assignment'],
  ['roles', 'role'], ['services', 'service'], ['trusts', 'trust'], ['users', 'user'], ['application_credentials', 'application_credential'],
  ['limits', 'limit'], ['registered_limits', 'registered_limit'], ['ec2', 'credential'], ['oauth1', 'consumer'],
  ['federation', 'identity_provider'], ['tokens', 'token'], ['auth', 'auth'],
];

export interface ClientOptions {
  timeoutMs?: number;
  retries?: number;
}

export class KeystoneV3Client {
  readonly session: Session;
  readonly managers: Record<string, Manager> = {};
  readonly version = 'v3';
  readonly interface = 'public';
  readonly regionName: string | undefined = undefined;
  private readonly retries: number;

  constructor(target: AuthTarget, trustId: string, options: ClientOptions = {}) {
    this.session = new Session(new PasswordAuth(target, trustId), options.timeoutMs ?? 10_000);
    this.retries = options.retries ?? 2;
    for (const [name, key] of MANAGERS) this.managers[name] = new Manager(this, name, key, `/${name.replace('_', '-')}`);
  }

  get trustId() {
    return this.session.auth.trustId;
  }
  get authRef(): AccessInfo | undefined {
    return this.session.auth.accessInfo;
  }

  /** Authenticates now (the Juno-era client did this in its constructor). */
  async authenticate(): Promise<AccessInfo> {
    const auth = this.session.auth;
    const result = await authenticate(auth.target, {
      trustId: auth.trustId,
      dispatcher: this.session.pool,
      timeoutMs: this.session.timeoutMs,
      retries: this.retries,
      // A cached client's connection is closed by the server once idle (Keystone's keep-alive is seconds); ask
      // for that now so N cached clients hold N pools but not N open sockets, as they do in steady state.
      reset: true,
    });
    auth.accessInfo = new AccessInfo(result);
    return auth.accessInfo;
  }

  /** A valid token, re-authenticating when the cached one is within keystoneauth's refresh margin. */
  async getToken(now = Date.now()): Promise<string> {
    const ref = this.authRef;
    if (!ref || needsRefresh(ref.expiresAt, now)) return (await this.authenticate()).tokenId;
    return ref.tokenId;
  }

  /** Forget the token, e.g. after a 401 from the service it was used with. */
  invalidate(): void {
    this.session.auth.accessInfo = undefined;
  }

  getEndpoint(serviceType: string, iface = 'public'): string | undefined {
    return this.authRef?.urlFor(serviceType, iface);
  }

  async close(): Promise<void> {
    await this.session.pool.close();
  }
}
