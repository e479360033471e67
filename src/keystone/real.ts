// A real Keystone (--keystone-url). Credentials come from the OpenStack environment variables only, never from
// argv: OS_USERNAME/OS_PASSWORD/OS_USER_DOMAIN_NAME are the trustee (the notifier's service user). Trusts are
// made by the trustor (OS_TRUSTOR_USERNAME/OS_TRUSTOR_PASSWORD, or KEYSTONE_LOCAL_TRUSTOR_* from
// scripts/keystone-local.sh): as many distinct trusts as the run asks for, created in batches with bounded
// concurrency and deleted again when the run ends (also after a fault or Ctrl-C). Without a trustor only
// OS_TRUST_ID is available: one trust, so a run that needs more is refused (UsageError) — entries never share a
// trust (and so a cache key) silently.
import { Pool, request } from 'undici';
import { UsageError } from '../util/usage-error.ts';
import type { KeystoneEnv } from './env.ts';
import { interruptedBy } from '../util/processes.ts';
import { registerSecret } from '../util/redact.ts';
import { authenticate, KeystoneError, type AuthTarget } from './auth.ts';
import { firstLine } from '../util/text.ts';

/**
 * Trust requests (create, delete) in flight at once: two is fastest on scripts/keystone-local.sh (sqlite); more
 * only adds "database is locked" collisions, each costing a retry after TRUST_REQUEST_TIMEOUT_MS (README, "Why
 * the workers run as they do").
 */
export const TRUST_LANES = 2;
/** Trusts created per batch; between batches the creation stops if the run is interrupted. */
export const TRUST_BATCH = 200;
/**
 * Attempts per trust request. Keystone on sqlite with several worker processes answers 500 "database is locked"
 * when two writes collide (WAL: a writer whose snapshot is stale gets SQLITE_BUSY at once, no busy wait); the
 * transaction was rolled back, so the request is simply repeated after a short, jittered back-off.
 */
export const TRUST_ATTEMPTS = 6;
/**
 * Per attempt. A trust request takes well under a second; uWSGI's HTTP router keeps a keep-alive connection open
 * without an answer when the worker fails a request without a response (Keystone's 500 on "database is
 * locked"), so a short timeout turns that hang into a quick retry.
 */
export const TRUST_REQUEST_TIMEOUT_MS = 5_000;

interface Trustor extends AuthTarget {
  projectName: string;
  projectDomainName: string;
}

export interface RealKeystoneOptions {
  /** distinct trusts the run is expected to need (maxsize + 1): refused now if they cannot be had */
  trusts?: number;
  /** trust requests in flight at once (default TRUST_LANES) */
  lanes?: number;
  /** progress lines (trust creation/deletion); default: none */
  note?: (text: string) => void;
}

export interface RealKeystoneEnv extends KeystoneEnv {
  /** trusts created by this run and not deleted yet */
  trustsCreated(): number;
}

const noTrustorAdvice =
  'set OS_TRUSTOR_USERNAME and OS_TRUSTOR_PASSWORD (the trusts\' owner; KEYSTONE_LOCAL_TRUSTOR_* from scripts/keystone-local.sh also work) so the harness creates one trust per entry';

function oneTrustRefusal(count: number): UsageError {
  return new UsageError(
    `this run needs ${count} distinct trusts but only OS_TRUST_ID (one trust) is set, and entries must not share a trust: ${noTrustorAdvice}`,
  );
}

export async function connectRealKeystone(url: string, env: NodeJS.ProcessEnv, opts: RealKeystoneOptions = {}): Promise<RealKeystoneEnv> {
  const authUrl = url.replace(/\/+$/, '').replace(/\/v3$/, '') + '/v3';
  if (!env.OS_USERNAME || !env.OS_PASSWORD) {
    throw new UsageError('--keystone-url needs the trustee credentials in OS_USERNAME and OS_PASSWORD (environment only)');
  }
  const domain = env.OS_USER_DOMAIN_NAME ?? 'Default';
  const target: AuthTarget = { authUrl, username: env.OS_USERNAME, password: env.OS_PASSWORD, userDomainName: domain };
  registerSecret(env.OS_PASSWORD);
  const trustorName = env.OS_TRUSTOR_USERNAME ?? env.KEYSTONE_LOCAL_TRUSTOR_USERNAME;
  const trustorPassword = env.OS_TRUSTOR_PASSWORD ?? env.KEYSTONE_LOCAL_TRUSTOR_PASSWORD;
  registerSecret(trustorPassword);
  const hasTrustor = Boolean(trustorName && trustorPassword);
  if (!hasTrustor && !env.OS_TRUST_ID) {
    throw new UsageError(`--keystone-url needs trusts: ${noTrustorAdvice} (or OS_TRUST_ID for a run that needs a single trust)`);
  }
  if (!hasTrustor && (opts.trusts ?? 1) > 1) throw oneTrustRefusal(opts.trusts!);

  const lanesMax = opts.lanes ?? TRUST_LANES;
  const pool = new Pool(new URL(authUrl).origin, { connections: lanesMax, keepAliveTimeout: 4_000 });
  async function json(path: string, init: { method?: string; token?: string; body?: unknown; timeoutMs?: number }): Promise<{ status: number; body: any; server?: string }> {
    const res = await request(`${authUrl}${path}`, {
      dispatcher: pool,
      method: (init.method ?? 'GET') as 'GET',
      headers: { accept: 'application/json', 'content-type': 'application/json', ...(init.token ? { 'x-auth-token': init.token } : {}) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      headersTimeout: init.timeoutMs ?? 15_000,
      bodyTimeout: init.timeoutMs ?? 15_000,
    });
    const text = await res.body.text();
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.statusCode, body, server: res.headers.server as string | undefined };
  }

  let connected = false;
  try {
    let version: string;
    let serverHeader: string | undefined;
    try {
      const doc = await json('', {});
      version = doc.body?.version?.id ?? `HTTP ${doc.status}`;
      serverHeader = doc.server;
    } catch (err) {
      throw new UsageError(`cannot reach Keystone at ${authUrl}: ${(err as { code?: string }).code ?? (err as Error).message}`);
    }
    // How it is served: scripts/keystone-local.sh exports KEYSTONE_LOCAL_SERVER for its own URL; otherwise the
    // Server header, when Keystone's front end sends one.
    const sameUrl = env.OS_AUTH_URL && env.OS_AUTH_URL.replace(/\/+$/, '').replace(/\/v3$/, '') + '/v3' === authUrl;
    const server = (sameUrl && env.KEYSTONE_LOCAL_SERVER) || serverHeader || undefined;
    const projectName = env.OS_PROJECT_NAME ?? 'bench';
    const projectDomainName = env.OS_PROJECT_DOMAIN_NAME ?? 'Default';
    let trusteeId: string;
    try {
      const r = await authenticate(target, { project: { name: projectName, domainName: projectDomainName }, nocatalog: true });
      trusteeId = (r.body.token as any).user.id;
    } catch (err) {
      if (err instanceof KeystoneError) throw new UsageError(`the trustee in OS_USERNAME cannot authenticate: ${err.message}`);
      throw err;
    }

    const trustor: Trustor | undefined = hasTrustor
      ? { authUrl, username: trustorName!, password: trustorPassword!, userDomainName: env.OS_TRUSTOR_USER_DOMAIN_NAME ?? domain, projectName, projectDomainName }
      : undefined;
    const created: string[] = [];
    let trustorToken: string | undefined;
    let trustorSession: { userId: string; projectId: string; roles: Array<{ name: string }> } | undefined;

    async function trustorLogin(): Promise<void> {
      let r;
      try {
        r = await authenticate(trustor!, { project: { name: trustor!.projectName, domainName: trustor!.projectDomainName }, nocatalog: true });
      } catch (err) {
        if (err instanceof KeystoneError) throw new UsageError(`the trustor in OS_TRUSTOR_USERNAME cannot authenticate: ${err.message}`);
        throw err;
      }
      trustorToken = r.tokenId;
      const t = r.body.token as any;
      trustorSession = { userId: t.user.id, projectId: t.project.id, roles: (t.roles as Array<{ name: string }>).map((x) => ({ name: x.name })) };
    }

    /** A trust request, repeated on 5xx or a network error (TRUST_ATTEMPTS in all); 4xx is final. */
    async function retried(path: string, init: { method: string; token?: string; body?: unknown }): Promise<{ status: number; body: any }> {
      for (let attempt = 1; ; attempt++) {
        try {
          const res = await json(path, { ...init, timeoutMs: TRUST_REQUEST_TIMEOUT_MS });
          if (res.status < 500 || attempt >= TRUST_ATTEMPTS) return res;
        } catch (err) {
          if (attempt >= TRUST_ATTEMPTS) throw err;
        }
        await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt) * (0.5 + Math.random())));
      }
    }

    /**
     * Runs `total` jobs, TRUST_LANES at a time. After a job fails no lane starts another one, and the failure is
     * raised only once every lane has settled, so `created` is complete when close() deletes it.
     */
    async function lanes(total: number, job: (i: number) => Promise<void>): Promise<void> {
      let next = 0;
      let failed = false;
      const lane = async () => {
        while (!failed && next < total) {
          try {
            await job(next++);
          } catch (err) {
            failed = true;
            throw err;
          }
        }
      };
      const settled = await Promise.allSettled(Array.from({ length: Math.min(lanesMax, total) }, lane));
      const rejected = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (rejected) throw rejected.reason;
    }

    async function createTrusts(count: number): Promise<void> {
      const missing = count - created.length;
      if (missing <= 0) return;
      if (!trustorToken) await trustorLogin();
      const s = trustorSession!;
      const t0 = Date.now();
      if (missing > TRUST_BATCH) opts.note?.(`creating ${missing} trusts in Keystone (${lanesMax} at a time)…`);
      while (created.length < count) {
        // Ctrl-C: stop between batches; what exists is deleted by close().
        if (interruptedBy()) throw new Error(`interrupted while creating trusts (${created.length} of ${count} created)`);
        const batch = Math.min(TRUST_BATCH, count - created.length);
        await lanes(batch, async () => {
          let res;
          try {
            res = await retried('/OS-TRUST/trusts', {
              method: 'POST',
              token: trustorToken,
              body: { trust: { trustor_user_id: s.userId, trustee_user_id: trusteeId, project_id: s.projectId, impersonation: false, roles: s.roles } },
            });
          } catch (err) {
            throw new UsageError(`Keystone at ${authUrl} did not answer while creating trust ${created.length + 1} of ${count}: ${(err as { code?: string }).code ?? (err as Error).message}`);
          }
          if (res.status !== 201 || typeof res.body?.trust?.id !== 'string') {
            const why = res.body?.error?.message ? `: ${firstLine(String(res.body.error.message))}` : '';
            throw new UsageError(`Keystone refused to create trust ${created.length + 1} of ${count} (HTTP ${res.status}${why}); the run needs ${count} distinct trusts`);
          }
          created.push(res.body.trust.id);
        });
      }
      if (missing > TRUST_BATCH) opts.note?.(`created ${missing} trusts in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }

    // trustIds() calls are serialised: two callers never create the same trusts twice.
    let queue: Promise<unknown> = Promise.resolve();
    const env2: RealKeystoneEnv = {
      kind: 'real',
      url: authUrl,
      version,
      ...(server ? { server } : {}),
      target,
      trustIds(count) {
        const run = queue.then(async () => {
          if (!Number.isInteger(count) || count < 0) throw new RangeError(`trustIds: count must be a non-negative integer, got ${count}`);
          if (!trustor) {
            if (count > 1) throw oneTrustRefusal(count);
            return count === 1 ? [env.OS_TRUST_ID!] : [];
          }
          await createTrusts(count);
          return created.slice(0, count);
        });
        queue = run.catch(() => undefined);
        return run;
      },
      tokensIssued: () => undefined,
      trustsCreated: () => created.length,
      async close() {
        // Delete what this run created; a failure here must not lose the results, so it only warns.
        await queue;
        const ids = created.splice(0);
        let failed = 0;
        if (ids.length > TRUST_BATCH) opts.note?.(`deleting the ${ids.length} trusts this run created…`);
        await lanes(ids.length, async (i) => {
          const res = await retried(`/OS-TRUST/trusts/${ids[i]}`, { method: 'DELETE', token: trustorToken }).catch(() => ({ status: 0 }));
          // 404 after a retry: an earlier attempt deleted it but its answer was lost
          if (res.status !== 204 && res.status !== 404) failed++;
        });
        await pool.close().catch(() => undefined);
        if (failed) process.stderr.write(`warning: ${failed} of ${ids.length} trust(s) created by this run could not be deleted\n`);
      },
    };
    connected = true;
    return env2;
  } finally {
    if (!connected) await pool.close().catch(() => undefined);
  }
}
