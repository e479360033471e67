// A real Keystone (--keystone-url). Credentials come from the OpenStack environment variables only, never from
// argv: OS_USERNAME/OS_PASSWORD/OS_USER_DOMAIN_NAME are the trustee (the notifier's service user). Trusts are
// made by the trustor (OS_TRUSTOR_USERNAME/OS_TRUSTOR_PASSWORD, or KEYSTONE_LOCAL_TRUSTOR_* from
// scripts/keystone-local.sh): as many distinct trusts as the run asks for, created in batches with bounded
// concurrency and deleted again when the run ends (also after a fault or Ctrl-C). Without a trustor only
// OS_TRUST_ID is available: one trust, so a run that needs more is refused (UsageError) — entries never share a
// trust (and so a cache key) silently.
import { UsageError } from '../util/usage-error.ts';
import type { KeystoneEnv } from './env.ts';
import { registerSecret } from '../util/redact.ts';
import { authenticate, KeystoneError, type AuthTarget } from './auth.ts';

export { TRUST_ATTEMPTS, TRUST_BATCH, TRUST_LANES, TRUST_REQUEST_TIMEOUT_MS } from './trusts.ts';
import { keystoneJson, TRUST_LANES, TrustMaker } from './trusts.ts';

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

  const http = keystoneJson(authUrl, opts.lanes ?? TRUST_LANES);
  let connected = false;
  try {
    let version: string;
    let serverHeader: string | undefined;
    try {
      const doc = await http.json('', {});
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
    const trusts = hasTrustor
      ? new TrustMaker(http, { authUrl, username: trustorName!, password: trustorPassword!, userDomainName: env.OS_TRUSTOR_USER_DOMAIN_NAME ?? domain, projectName, projectDomainName }, trusteeId, opts.note)
      : undefined;

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
          if (!trusts) {
            if (count > 1) throw oneTrustRefusal(count);
            return count === 1 ? [env.OS_TRUST_ID!] : [];
          }
          return trusts.ensure(count);
        });
        queue = run.catch(() => undefined);
        return run;
      },
      tokensIssued: () => undefined,
      trustsCreated: () => trusts?.count ?? 0,
      async close() {
        await queue;
        await trusts?.deleteAll();
        await http.close();
      },
    };
    connected = true;
    return env2;
  } finally {
    if (!connected) await http.close();
  }
}
