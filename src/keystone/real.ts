// A real Keystone (--keystone-url). Credentials come from the OpenStack environment variables only, never from
// argv: OS_USERNAME/OS_PASSWORD/OS_USER_DOMAIN_NAME are the trustee (the notifier's service user). Trusts are
// made by the trustor (OS_TRUSTOR_USERNAME/OS_TRUSTOR_PASSWORD, or KEYSTONE_LOCAL_TRUSTOR_* from
// scripts/keystone-local.sh) and deleted again when the run ends; without a trustor, OS_TRUST_ID is reused.
import { request } from 'undici';
import { UsageError } from '../util/usage-error.ts';
import type { KeystoneEnv } from './env.ts';
import { registerSecret } from '../util/redact.ts';
import { authenticate, KeystoneError, type AuthTarget } from './auth.ts';

/** Trusts created at most per run; larger sweeps cycle through them (each authentication is still a new token). */
export const TRUST_POOL_MAX = 1000;

interface Trustor extends AuthTarget {
  projectName: string;
  projectDomainName: string;
}

async function json(url: string, init: { method?: string; token?: string; body?: unknown }): Promise<{ status: number; body: any }> {
  const res = await request(url, {
    method: (init.method ?? 'GET') as 'GET',
    headers: { accept: 'application/json', 'content-type': 'application/json', ...(init.token ? { 'x-auth-token': init.token } : {}) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    headersTimeout: 15_000,
    bodyTimeout: 15_000,
  });
  const text = await res.body.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.statusCode, body };
}

export async function connectRealKeystone(url: string, env: NodeJS.ProcessEnv): Promise<KeystoneEnv> {
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
  if (!(trustorName && trustorPassword) && !env.OS_TRUST_ID) {
    throw new UsageError('--keystone-url needs OS_TRUSTOR_USERNAME/OS_TRUSTOR_PASSWORD (to create trusts) or OS_TRUST_ID in the environment');
  }

  let version: string;
  try {
    const doc = await json(authUrl, {});
    version = doc.body?.version?.id ?? `HTTP ${doc.status}`;
  } catch (err) {
    throw new UsageError(`cannot reach Keystone at ${authUrl}: ${(err as { code?: string }).code ?? (err as Error).message}`);
  }
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

  const trustor: Trustor | undefined = trustorName && trustorPassword
    ? { authUrl, username: trustorName, password: trustorPassword, userDomainName: env.OS_TRUSTOR_USER_DOMAIN_NAME ?? domain, projectName, projectDomainName }
    : undefined;
  const created: string[] = [];
  let trustorToken: string | undefined;

  async function createTrusts(count: number): Promise<void> {
    const r = await authenticate(trustor!, { project: { name: trustor!.projectName, domainName: trustor!.projectDomainName }, nocatalog: true });
    trustorToken = r.tokenId;
    const t = r.body.token as any;
    const roles = (t.roles as Array<{ name: string }>).map((x) => ({ name: x.name }));
    let next = created.length;
    const lane = async () => {
      while (next < count) {
        next++;
        const res = await json(`${authUrl}/OS-TRUST/trusts`, {
          method: 'POST',
          token: trustorToken,
          body: { trust: { trustor_user_id: t.user.id, trustee_user_id: trusteeId, project_id: t.project.id, impersonation: false, roles } },
        });
        if (res.status !== 201) throw new Error(`Keystone refused to create a trust (HTTP ${res.status})`);
        created.push(res.body.trust.id);
      }
    };
    await Promise.all(Array.from({ length: 4 }, lane));
  }

  return {
    kind: 'real',
    url: authUrl,
    version,
    target,
    async trustIds(count) {
      let pool: string[];
      if (trustor) {
        await createTrusts(Math.min(count, TRUST_POOL_MAX));
        pool = created;
      } else pool = [env.OS_TRUST_ID!];
      return Array.from({ length: count }, (_, i) => pool[i % pool.length]);
    },
    tokensIssued: () => undefined,
    async close() {
      // Delete what this run created; a failure here must not lose the results, so it only warns.
      let failed = 0;
      for (const id of created.splice(0)) {
        const res = await json(`${authUrl}/OS-TRUST/trusts/${id}`, { method: 'DELETE', token: trustorToken }).catch(() => ({ status: 0 }));
        if (res.status !== 204) failed++;
      }
      if (failed) process.stderr.write(`warning: ${failed} trust(s) created by this run could not be deleted\n`);
    },
  };
}
