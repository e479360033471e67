// Trusts on a real Keystone: created by the trustor for the trustee, as many as the run asks for, in batches with
// bounded concurrency, and deleted again when the run ends (also after a fault or Ctrl-C). Every request is
// repeated on a 5xx or a network error: Keystone on sqlite answers 500 "database is locked" when writes collide.
import { Pool, request } from 'undici';
import { interruptedBy } from '../util/processes.ts';
import { firstLine } from '../util/text.ts';
import { UsageError } from '../util/usage-error.ts';
import { authenticate, KeystoneError, type AuthTarget } from './auth.ts';

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

export interface Trustor extends AuthTarget {
  projectName: string;
  projectDomainName: string;
}

export interface JsonAnswer {
  status: number;
  body: any;
  server?: string;
}

/** JSON requests to one Keystone over a keep-alive pool of `connections`. */
export function keystoneJson(authUrl: string, connections: number) {
  const pool = new Pool(new URL(authUrl).origin, { connections, keepAliveTimeout: 4_000 });
  return {
    connections,
    async json(path: string, init: { method?: string; token?: string; body?: unknown; timeoutMs?: number }): Promise<JsonAnswer> {
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
    },
    close: () => pool.close().catch(() => undefined),
  };
}

export type KeystoneJson = ReturnType<typeof keystoneJson>;

/** The trusts a run made: `ensure(count)` creates what is missing, `deleteAll()` removes them all. */
export class TrustMaker {
  private readonly created: string[] = [];
  private token?: string;
  private session?: { userId: string; projectId: string; roles: Array<{ name: string }> };

  constructor(private readonly http: KeystoneJson, private readonly trustor: Trustor, private readonly trusteeId: string, private readonly note?: (text: string) => void) {}

  get count(): number {
    return this.created.length;
  }

  /** The first `count` trusts, created as needed. */
  async ensure(count: number): Promise<string[]> {
    const missing = count - this.created.length;
    if (missing > 0) await this.create(count, missing);
    return this.created.slice(0, count);
  }

  /** Deletes what this run created; a failure here must not lose the results, so it only warns. */
  async deleteAll(): Promise<void> {
    const ids = this.created.splice(0);
    let failed = 0;
    if (ids.length > TRUST_BATCH) this.note?.(`deleting the ${ids.length} trusts this run created…`);
    await this.lanes(ids.length, async (i) => {
      const res = await this.retried(`/OS-TRUST/trusts/${ids[i]}`, { method: 'DELETE', token: this.token }).catch(() => ({ status: 0 }));
      // 404 after a retry: an earlier attempt deleted it but its answer was lost
      if (res.status !== 204 && res.status !== 404) failed++;
    });
    if (failed) process.stderr.write(`warning: ${failed} of ${ids.length} trust(s) created by this run could not be deleted\n`);
  }

  private async create(count: number, missing: number): Promise<void> {
    if (!this.token) await this.login();
    const s = this.session!;
    const authUrl = this.trustor.authUrl;
    const t0 = Date.now();
    if (missing > TRUST_BATCH) this.note?.(`creating ${missing} trusts in Keystone (${this.http.connections} at a time)…`);
    while (this.created.length < count) {
      // Ctrl-C: stop between batches; what exists is deleted by deleteAll().
      if (interruptedBy()) throw new Error(`interrupted while creating trusts (${this.created.length} of ${count} created)`);
      const batch = Math.min(TRUST_BATCH, count - this.created.length);
      await this.lanes(batch, async () => {
        let res;
        try {
          res = await this.retried('/OS-TRUST/trusts', {
            method: 'POST',
            token: this.token,
            body: { trust: { trustor_user_id: s.userId, trustee_user_id: this.trusteeId, project_id: s.projectId, impersonation: false, roles: s.roles } },
          });
        } catch (err) {
          throw new UsageError(`Keystone at ${authUrl} did not answer while creating trust ${this.created.length + 1} of ${count}: ${(err as { code?: string }).code ?? (err as Error).message}`);
        }
        if (res.status !== 201 || typeof res.body?.trust?.id !== 'string') {
          const why = res.body?.error?.message ? `: ${firstLine(String(res.body.error.message))}` : '';
          throw new UsageError(`Keystone refused to create trust ${this.created.length + 1} of ${count} (HTTP ${res.status}${why}); the run needs ${count} distinct trusts`);
        }
        this.created.push(res.body.trust.id);
      });
    }
    if (missing > TRUST_BATCH) this.note?.(`created ${missing} trusts in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  private async login(): Promise<void> {
    const t = this.trustor;
    let r;
    try {
      r = await authenticate(t, { project: { name: t.projectName, domainName: t.projectDomainName }, nocatalog: true });
    } catch (err) {
      if (err instanceof KeystoneError) throw new UsageError(`the trustor in OS_TRUSTOR_USERNAME cannot authenticate: ${err.message}`);
      throw err;
    }
    this.token = r.tokenId;
    const body = r.body.token as any;
    this.session = { userId: body.user.id, projectId: body.project.id, roles: (body.roles as Array<{ name: string }>).map((x) => ({ name: x.name })) };
  }

  /** A trust request, repeated on 5xx or a network error (TRUST_ATTEMPTS in all); 4xx is final. */
  private async retried(path: string, init: { method: string; token?: string; body?: unknown }): Promise<JsonAnswer> {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.http.json(path, { ...init, timeoutMs: TRUST_REQUEST_TIMEOUT_MS });
        if (res.status < 500 || attempt >= TRUST_ATTEMPTS) return res;
      } catch (err) {
        if (attempt >= TRUST_ATTEMPTS) throw err;
      }
      await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt) * (0.5 + Math.random())));
    }
  }

  /**
   * Runs `total` jobs, as many at a time as the pool has connections. After a job fails no lane starts another
   * one, and the failure is raised only once every lane has settled, so `created` is complete for deleteAll().
   */
  private async lanes(total: number, job: (i: number) => Promise<void>): Promise<void> {
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
    const settled = await Promise.allSettled(Array.from({ length: Math.min(this.http.connections, total) }, lane));
    const rejected = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) throw rejected.reason;
  }
}
