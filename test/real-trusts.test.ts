// The trust pool of --keystone-url (src/keystone/real.ts): as many distinct trusts as asked for, all deleted at
// the end; a refusal (UsageError) instead of sharing OS_TRUST_ID's single trust. The large pool runs against the
// stand-in's trust API (same REST calls, milliseconds each); a smaller pool runs against the real Keystone
// (scripts/keystone-local.sh; required under CI=true), where each trust costs tens of ms and each deletion leaves
// a revocation event behind.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../src/cli/errors.ts';
import { authenticate, KeystoneError, type AuthTarget } from '../src/keystone/auth.ts';
import { connectRealKeystone, TRUST_BATCH } from '../src/keystone/real.ts';
import { startStandIn, type StandIn } from '../src/keystone/standin.ts';
import { mustHaveKeystone, realKeystone } from './helpers/real-keystone.ts';

/** 201 if the trustee can get a token with this trust, else the status Keystone answered. */
async function trustWorks(target: AuthTarget, trustId: string): Promise<number> {
  try {
    await authenticate(target, { trustId, nocatalog: true, retries: 0 });
    return 201;
  } catch (err) {
    if (err instanceof KeystoneError && err.status) return err.status;
    throw err;
  }
}

const sample = <T>(xs: T[], k: number) => Array.from({ length: k }, (_, i) => xs[Math.floor((i * xs.length) / k)]);

describe('trust pool against the stand-in', () => {
  let ks: StandIn;
  let trustee: AuthTarget;
  let envFor: (extra?: NodeJS.ProcessEnv) => NodeJS.ProcessEnv;
  beforeAll(async () => {
    ks = await startStandIn({ trusts: 1 });
    trustee = { authUrl: ks.authUrl, username: ks.trustee.username, password: ks.trustee.password, userDomainName: 'Default' };
    envFor = (extra = {}) => ({
      OS_AUTH_URL: ks.authUrl, OS_USERNAME: ks.trustee.username, OS_PASSWORD: ks.trustee.password,
      OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_NAME: 'bench', OS_PROJECT_DOMAIN_NAME: 'Default', ...extra,
    });
  });
  afterAll(async () => ks?.close());

  it('creates 1100 distinct trusts (more than the old pool of 1000) and deletes every one at close()', async () => {
    const notes: string[] = [];
    const real = await connectRealKeystone(ks.authUrl, envFor({ OS_TRUSTOR_USERNAME: ks.trustor.username, OS_TRUSTOR_PASSWORD: ks.trustor.password }), { trusts: 1100, note: (t) => notes.push(t) });
    try {
      const ids = await real.trustIds(1100);
      expect(ids).toHaveLength(1100);
      expect(new Set(ids).size).toBe(1100);
      expect(real.trustsCreated()).toBe(1100);
      // the same ids again for a smaller count (the latency phase asks for 200): nothing new is created
      expect(await real.trustIds(200)).toEqual(ids.slice(0, 200));
      expect(real.trustsCreated()).toBe(1100);
      expect(notes.some((n) => /creating 1100 trusts/.test(n))).toBe(true);
      for (const id of sample(ids, 10)) expect(await trustWorks(trustee, id)).toBe(201);
      await real.close();
      expect(real.trustsCreated()).toBe(0);
      for (const id of sample(ids, 25)) expect(await trustWorks(trustee, id)).toBe(401);
    } finally {
      await real.close();
    }
  });

  it('repeats a trust request that Keystone answers with 500 ("database is locked" on sqlite)', async () => {
    // A proxy that fails every third trust POST and DELETE with 500, as Keystone on sqlite does under concurrency.
    let n = 0;
    const failed = { POST: 0, DELETE: 0 } as Record<string, number>;
    const proxy: Server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      if (req.url!.startsWith('/v3/OS-TRUST/trusts') && ++n % 3 === 0) {
        failed[req.method!]++;
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"code":500,"message":"database is locked","title":"Internal Server Error"}}');
        return;
      }
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k))) as Record<string, string>;
      const up = await request(`${ks.url}${req.url}`, { method: req.method as 'GET', headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
      const body = Buffer.from(await up.body.arrayBuffer());
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(up.headers)) if (typeof v === 'string' && !['connection', 'keep-alive', 'transfer-encoding', 'content-length'].includes(k)) out[k] = v;
      res.writeHead(up.statusCode, out).end(body);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/v3`;
    try {
      const real = await connectRealKeystone(url, envFor({ OS_AUTH_URL: url, OS_TRUSTOR_USERNAME: ks.trustor.username, OS_TRUSTOR_PASSWORD: ks.trustor.password }), { lanes: 8 });
      const ids = await real.trustIds(TRUST_BATCH + 30);
      expect(new Set(ids).size).toBe(TRUST_BATCH + 30);
      await real.close();
      expect(failed.POST).toBeGreaterThan(0);
      expect(failed.DELETE).toBeGreaterThan(0);
      for (const id of sample(ids, 20)) expect(await trustWorks(trustee, id)).toBe(401);
    } finally {
      await new Promise((r) => proxy.close(r));
    }
  });

  it('OS_TRUST_ID alone: one trust for a run of one, a UsageError for more — never a shared trust', async () => {
    const only = envFor({ OS_TRUST_ID: ks.trustIds[0], OS_TRUSTOR_USERNAME: '', OS_TRUSTOR_PASSWORD: '', KEYSTONE_LOCAL_TRUSTOR_USERNAME: '', KEYSTONE_LOCAL_TRUSTOR_PASSWORD: '' });
    // refused up front when the run says how many it needs
    const early = connectRealKeystone(ks.authUrl, only, { trusts: 1001 });
    await expect(early).rejects.toBeInstanceOf(UsageError);
    await expect(early).rejects.toThrow(/needs 1001 distinct trusts but only OS_TRUST_ID \(one trust\) is set.*OS_TRUSTOR_USERNAME and OS_TRUSTOR_PASSWORD/);
    // and by trustIds() itself, whatever the caller asks for later
    const real = await connectRealKeystone(ks.authUrl, only);
    try {
      expect(await real.trustIds(1)).toEqual([ks.trustIds[0]]);
      await expect(real.trustIds(2)).rejects.toBeInstanceOf(UsageError);
      await expect(real.trustIds(2)).rejects.toThrow(/needs 2 distinct trusts/);
    } finally {
      await real.close();
    }
    expect(await trustWorks(trustee, ks.trustIds[0])).toBe(201); // a trust the run did not create is never deleted
  });
});

const live = await realKeystone();
describe.runIf(live.available || mustHaveKeystone)('trust pool against the real Keystone', () => {
  it(`creates distinct trusts, they work, and close() deletes them (${mustHaveKeystone ? 'required: CI=true' : 'a Keystone answers'})`, async () => {
    expect(live.reason).toBe('');
    const e = live.env;
    const trustee: AuthTarget = { authUrl: e.OS_AUTH_URL, username: e.OS_USERNAME, password: e.OS_PASSWORD, userDomainName: e.OS_USER_DOMAIN_NAME ?? 'Default' };
    const real = await connectRealKeystone(e.OS_AUTH_URL, { ...e }, { trusts: 20 });
    try {
      expect(real.server ?? '').toMatch(/^uwsgi .* processes, HTTP\/1\.1 keep-alive$/);
      const ids = await real.trustIds(20);
      expect(new Set(ids).size).toBe(20);
      expect(ids).not.toContain(e.OS_TRUST_ID); // the script's own trust is not part of the pool
      for (const id of sample(ids, 3)) expect(await trustWorks(trustee, id)).toBe(201);
      await real.close();
      for (const id of sample(ids, 3)) expect(await trustWorks(trustee, id)).toBe(401);
      expect(await trustWorks(trustee, e.OS_TRUST_ID)).toBe(201);
    } finally {
      await real.close();
    }
  });
});
