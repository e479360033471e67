// The Keystone operations the load drives, one request each, as the notifier and the receiving API make them:
//   token-trust            POST /v3/auth/tokens, password + trust scope, with the catalog (what Aodh's notifier
//                          asks for once per notification without a cache)
//   token-trust-nocatalog  the same with ?nocatalog
//   validate               GET /v3/auth/tokens of a trust-scoped token (what keystonemiddleware at the receiving
//                          API does for a token it has not cached), authorised by the trustee's own token
// No retries: a failure is counted as an error of the load, not hidden. Tokens stay in memory only.
import { Agent, request } from 'undici';
import { authenticate, type AuthTarget } from '../keystone/auth.ts';

export const OPERATION_IDS = ['token-trust', 'token-trust-nocatalog', 'validate'] as const;
export type OperationId = (typeof OPERATION_IDS)[number];

export const OPERATION_TEXT: Record<OperationId, string> = {
  'token-trust': 'trust-scoped token, password authentication, with catalog (one per notification without a cache)',
  'token-trust-nocatalog': 'the same token with ?nocatalog',
  'validate': 'validation of a trust-scoped token (GET /v3/auth/tokens), as the receiving API does for a new token',
};

/** One operation; `i` picks the trust or the token to validate. Resolves when answered with success. */
export type Operation = (i: number) => Promise<void>;

/** Trust-scoped tokens minted by the load, kept (in memory only) for the validations: the newest POOL of them. */
const POOL = 256;

export interface Operations {
  run(id: OperationId): Operation;
  /** tokens available to validate */
  tokensHeld(): number;
  close(): Promise<void>;
}

export function openOperations(target: AuthTarget, trustIds: string[], opts: { timeoutMs: number; connections: number; project: { name: string; domainName: string } }): Operations {
  const dispatcher = new Agent({ connections: opts.connections, keepAliveTimeout: 10_000, pipelining: 1 });
  const minted: string[] = [];
  let serviceToken: string | undefined;
  const mint = (catalog: boolean): Operation => async (i) => {
    const r = await authenticate(target, {
      trustId: trustIds[i % trustIds.length], nocatalog: !catalog, dispatcher, timeoutMs: opts.timeoutMs, retries: 0,
    });
    minted.push(r.tokenId);
    if (minted.length > POOL) minted.shift();
  };
  const validate: Operation = async (i) => {
    if (!minted.length) throw new Error('no token to validate: mint some first');
    // the trustee's own project token authorises the check (token subject rule): the notifier's service user
    serviceToken ??= (await authenticate(target, {
      project: opts.project, nocatalog: true, dispatcher, timeoutMs: opts.timeoutMs,
    })).tokenId;
    const res = await request(`${target.authUrl.replace(/\/+$/, '')}/auth/tokens?nocatalog`, {
      method: 'GET', dispatcher, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs,
      headers: { accept: 'application/json', 'x-auth-token': serviceToken, 'x-subject-token': minted[i % minted.length] },
    });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`validation answered ${res.statusCode}`);
  };
  const ops: Record<OperationId, Operation> = { 'token-trust': mint(true), 'token-trust-nocatalog': mint(false), validate };
  return {
    run: (id) => ops[id],
    tokensHeld: () => minted.length,
    close: () => dispatcher.close(),
  };
}
