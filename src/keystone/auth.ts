// POST /v3/auth/tokens, as keystoneauth's v3 Password plugin does it, with bounded timeouts and retries so a
// slow or broken Keystone fails a sample clearly instead of hanging the run. Errors never carry a token or a
// password: messages name the URL, the status and at most a shortened trust id.
import { request, type Dispatcher } from 'undici';

export interface AuthTarget {
  /** e.g. http://127.0.0.1:5000/v3 */
  authUrl: string;
  username: string;
  password: string;
  userDomainName: string;
}

export interface Scope {
  trustId?: string;
  project?: { name: string; domainName: string };
}

export interface AuthOptions extends Scope {
  dispatcher?: Dispatcher;
  /** ask Keystone to leave the service catalog out (?nocatalog) */
  nocatalog?: boolean;
  /** per attempt: headers and body must each arrive within this time */
  timeoutMs?: number;
  /** extra attempts after a 5xx, a timeout or a network error (never after 4xx) */
  retries?: number;
  /** close the connection after the response ("Connection: close") */
  reset?: boolean;
  /** also return the body as Keystone sent it */
  text?: boolean;
}

/** The parsed token response body, as Keystone sends it. */
export interface TokenBody {
  token: {
    expires_at: string;
    issued_at?: string;
    catalog?: Array<{ type: string; name?: string; id: string; endpoints: Array<{ interface: string; url: string; region_id?: string; region?: string; id: string }> }>;
    [key: string]: unknown;
  };
}

export interface AuthResult {
  tokenId: string;
  /** epoch ms */
  expiresAt: number;
  body: TokenBody;
  /** the response text, when asked for with AuthOptions.text */
  text?: string;
}

export type KeystoneErrorKind = 'unauthorized' | 'client' | 'server' | 'malformed' | 'timeout' | 'network';

export class KeystoneError extends Error {
  constructor(
    readonly kind: KeystoneErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'KeystoneError';
  }
}

/** First 8 characters of an id: enough to tell trusts apart in a message, useless to an attacker. */
export const shortId = (id: string) => (id.length > 8 ? `${id.slice(0, 8)}…` : id);

export function authRequestBody(target: AuthTarget, scope: Scope): string {
  const identity = {
    methods: ['password'],
    password: { user: { name: target.username, domain: { name: target.userDomainName }, password: target.password } },
  };
  const s = scope.trustId
    ? { 'OS-TRUST:trust': { id: scope.trustId } }
    : scope.project
      ? { project: { name: scope.project.name, domain: { name: scope.project.domainName } } }
      : undefined;
  return JSON.stringify({ auth: s ? { identity, scope: s } : { identity } });
}

async function attempt(target: AuthTarget, opts: AuthOptions): Promise<AuthResult> {
  const url = `${target.authUrl.replace(/\/+$/, '')}/auth/tokens${opts.nocatalog ? '?nocatalog' : ''}`;
  const what = opts.trustId ? `trust ${shortId(opts.trustId)}` : 'project scope';
  const timeout = opts.timeoutMs ?? 10_000;
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, {
      method: 'POST',
      dispatcher: opts.dispatcher,
      headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'keystone-cache-bench' },
      body: authRequestBody(target, opts),
      headersTimeout: timeout,
      bodyTimeout: timeout,
      reset: opts.reset,
    });
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code.includes('TIMEOUT')) throw new KeystoneError('timeout', `Keystone at ${target.authUrl} did not answer within ${timeout} ms (${what})`);
    throw new KeystoneError('network', `cannot reach Keystone at ${target.authUrl}: ${code || (err as Error).message} (${what})`);
  }
  let text: string;
  try {
    text = await res.body.text();
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    throw new KeystoneError(code.includes('TIMEOUT') ? 'timeout' : 'network', `Keystone at ${target.authUrl} broke off its answer (${what})`);
  }
  const status = res.statusCode;
  if (status === 401) throw new KeystoneError('unauthorized', `Keystone at ${target.authUrl} answered 401 Unauthorized (${what}: wrong credentials, or the trust is deleted or expired)`, status);
  if (status >= 500) throw new KeystoneError('server', `Keystone at ${target.authUrl} answered ${status} (${what})`, status);
  if (status !== 201 && status !== 200) throw new KeystoneError('client', `Keystone at ${target.authUrl} answered ${status} (${what})`, status);
  const tokenId = res.headers['x-subject-token'];
  let body: TokenBody;
  try {
    body = JSON.parse(text);
  } catch {
    throw new KeystoneError('malformed', `Keystone at ${target.authUrl} sent a token response that is not valid JSON (${what})`, status);
  }
  const expiresAt = Date.parse(body?.token?.expires_at ?? '');
  if (typeof tokenId !== 'string' || !tokenId || Number.isNaN(expiresAt)) {
    throw new KeystoneError('malformed', `Keystone at ${target.authUrl} sent a token response without X-Subject-Token or expires_at (${what})`, status);
  }
  return opts.text ? { tokenId, expiresAt, body, text } : { tokenId, expiresAt, body };
}

let succeeded = 0;
/** Tokens this process obtained: the worker reports it, so a run against a real Keystone still counts tokens. */
export const tokensObtained = () => succeeded;

/** Authenticates, retrying 5xx/timeouts/network errors with exponential back-off; 4xx and malformed fail at once. */
export async function authenticate(target: AuthTarget, opts: AuthOptions = {}): Promise<AuthResult> {
  const retries = opts.retries ?? 2;
  for (let i = 0; ; i++) {
    try {
      const result = await attempt(target, opts);
      succeeded++;
      return result;
    } catch (err) {
      const retriable = err instanceof KeystoneError && ['server', 'timeout', 'network'].includes(err.kind);
      if (!retriable || i >= retries) throw err;
      await new Promise((r) => setTimeout(r, 100 * 2 ** i));
    }
  }
}

/** keystoneauth's rule: a token is reused until this many seconds before it expires. */
export const REFRESH_MARGIN_MS = 120_000;
export const needsRefresh = (expiresAt: number, now = Date.now()) => expiresAt - now <= REFRESH_MARGIN_MS;
