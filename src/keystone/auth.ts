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

export interface PostResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** How a request went wrong: no answer in time, no connection, or an answer broken off. */
export class PostError extends Error {
  constructor(readonly why: 'timeout' | 'network' | 'broken', override readonly cause: Error) {
    super(cause.message);
  }
}

/** One POST with a JSON body: a transport other than undici's (AuthOptions.post). */
export type Post = (url: string, headers: Record<string, string>, body: string, timeoutMs: number) => Promise<PostResponse>;

export interface AuthOptions extends Scope {
  dispatcher?: Dispatcher;
  /** the transport; absent: undici's request through `dispatcher` */
  post?: Post;
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

// The identity part is the same for every request with the same credentials: the last one is kept serialised (a
// worker sends one per entry). Compared by value and only one kept: a design that copies its credentials per
// entry must not find a cached string per entry beside each copy.
let lastIdentity: { username: string; domain: string; password: string; json: string } | undefined;

function identityJson(target: AuthTarget): string {
  const l = lastIdentity;
  if (l && l.username === target.username && l.domain === target.userDomainName && l.password === target.password) return l.json;
  const json = JSON.stringify({
    methods: ['password'],
    password: { user: { name: target.username, domain: { name: target.userDomainName }, password: target.password } },
  });
  lastIdentity = { username: target.username, domain: target.userDomainName, password: target.password, json };
  return json;
}

export function authRequestBody(target: AuthTarget, scope: Scope): string {
  const identity = identityJson(target);
  const s = scope.trustId
    ? { 'OS-TRUST:trust': { id: scope.trustId } }
    : scope.project
      ? { project: { name: scope.project.name, domain: { name: scope.project.domainName } } }
      : undefined;
  return s ? `{"auth":{"identity":${identity},"scope":${JSON.stringify(s)}}}` : `{"auth":{"identity":${identity}}}`;
}

const timedOut = (err: unknown) => (err as { code?: string }).code?.includes('TIMEOUT') === true;

/** undici's request, the default transport: timeouts for the headers and for the body, each `timeoutMs`. */
const undiciPost = (dispatcher?: Dispatcher, reset?: boolean): Post => async (url, headers, body, timeoutMs) => {
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, { method: 'POST', dispatcher, headers, body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, reset });
  } catch (err) {
    throw new PostError(timedOut(err) ? 'timeout' : 'network', err as Error);
  }
  try {
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  } catch (err) {
    throw new PostError(timedOut(err) ? 'timeout' : 'broken', err as Error);
  }
};

async function attempt(target: AuthTarget, opts: AuthOptions): Promise<AuthResult> {
  const url = `${target.authUrl.replace(/\/+$/, '')}/auth/tokens${opts.nocatalog ? '?nocatalog' : ''}`;
  const what = opts.trustId ? `trust ${shortId(opts.trustId)}` : 'project scope';
  const timeout = opts.timeoutMs ?? 10_000;
  const post = opts.post ?? undiciPost(opts.dispatcher, opts.reset);
  let res: PostResponse;
  try {
    res = await post(url, { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'keystone-cache-bench' }, authRequestBody(target, opts), timeout);
  } catch (err) {
    const { why, cause } = err instanceof PostError ? err : new PostError('network', err as Error);
    if (why === 'timeout') throw new KeystoneError('timeout', `Keystone at ${target.authUrl} did not answer within ${timeout} ms (${what})`);
    if (why === 'broken') throw new KeystoneError('network', `Keystone at ${target.authUrl} broke off its answer (${what})`);
    const code = (cause as { code?: string }).code ?? '';
    throw new KeystoneError('network', `cannot reach Keystone at ${target.authUrl}: ${code || cause.message} (${what})`);
  }
  const text = res.text;
  const status = res.status;
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
