// The stand-in is only as good as its fidelity: this compares it with a real Keystone 22 started by
// scripts/keystone-local.sh (CI starts one), for the responses the designs depend on.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandIn, type StandIn } from '../src/keystone/standin.ts';
import { authRequestBody, type AuthTarget, type Scope } from '../src/keystone/auth.ts';
import { mustHaveKeystone, realKeystone } from './helpers/real-keystone.ts';

// A live probe decides, not the openrc's presence; under CI=true a missing Keystone fails instead of skipping.
const real = await realKeystone();
const env = real.env;
const available = real.available;
if (!available && !mustHaveKeystone) console.warn(`fidelity test skipped: ${real.reason}`);

describe.runIf(mustHaveKeystone)('CI: the real Keystone is running', () => {
  it('answers GET /v3 and its openrc holds credentials', () => {
    expect(real.reason).toBe('');
    expect(available).toBe(true);
  });
});

interface Raw { status: number; token?: string; bytes: number; body: any }
async function post(authUrl: string, target: AuthTarget, scope: Scope, nocatalog = false): Promise<Raw> {
  const res = await request(`${authUrl}/auth/tokens${nocatalog ? '?nocatalog' : ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: authRequestBody(target, scope),
  });
  const text = await res.body.text();
  return { status: res.statusCode, token: res.headers['x-subject-token'] as string | undefined, bytes: Buffer.byteLength(text), body: JSON.parse(text) };
}

/** A real trust for the trustee, created by the trustor; returns its id. */
async function createRealTrust(): Promise<{ id: string; remove: () => Promise<number> }> {
  const trustor: AuthTarget = { authUrl: env.OS_AUTH_URL, username: env.KEYSTONE_LOCAL_TRUSTOR_USERNAME, password: env.KEYSTONE_LOCAL_TRUSTOR_PASSWORD, userDomainName: 'Default' };
  const t = await post(env.OS_AUTH_URL, trustor, { project: { name: env.OS_PROJECT_NAME, domainName: 'Default' } }, true);
  const trustee = await post(env.OS_AUTH_URL, realTrustee(), { project: { name: env.OS_PROJECT_NAME, domainName: 'Default' } }, true);
  const res = await request(`${env.OS_AUTH_URL}/OS-TRUST/trusts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-auth-token': t.token! },
    body: JSON.stringify({ trust: { trustor_user_id: t.body.token.user.id, trustee_user_id: trustee.body.token.user.id, project_id: t.body.token.project.id, impersonation: false, roles: [{ name: 'member' }] } }),
  });
  const id = ((await res.body.json()) as any).trust.id as string;
  return {
    id,
    remove: async () => (await request(`${env.OS_AUTH_URL}/OS-TRUST/trusts/${id}`, { method: 'DELETE', headers: { 'x-auth-token': t.token! } })).statusCode,
  };
}
const realTrustee = (): AuthTarget => ({ authUrl: env.OS_AUTH_URL, username: env.OS_USERNAME, password: env.OS_PASSWORD, userDomainName: env.OS_USER_DOMAIN_NAME ?? 'Default' });

describe.skipIf(!available)('stand-in fidelity against a real Keystone', () => {
  let ks: StandIn;
  let fake: AuthTarget;
  let trust: Awaited<ReturnType<typeof createRealTrust>>;
  const project = { project: { name: 'bench', domainName: 'Default' } };

  beforeAll(async () => {
    ks = await startStandIn({ trusts: 2 });
    fake = { authUrl: ks.authUrl, username: ks.trustee.username, password: ks.trustee.password, userDomainName: 'Default' };
    trust = await createRealTrust();
  });
  afterAll(async () => {
    await trust?.remove();
    await ks?.close();
  });

  for (const nocatalog of [false, true]) {
    const label = nocatalog ? 'without catalog' : 'with catalog';
    it(`trust-scoped token ${label}: same keys, token length, and body size within 5 %`, async () => {
      const real = await post(env.OS_AUTH_URL, realTrustee(), { trustId: trust.id }, nocatalog);
      const mine = await post(ks.authUrl, fake, { trustId: ks.trustIds[0] }, nocatalog);
      expect(mine.status).toBe(real.status);
      expect(mine.token!.length).toBe(real.token!.length);
      expect(Object.keys(mine.body.token)).toEqual(Object.keys(real.body.token));
      expect(Object.keys(mine.body.token['OS-TRUST:trust'])).toEqual(Object.keys(real.body.token['OS-TRUST:trust']));
      expect(mine.body.token.roles.map((r: any) => Object.keys(r))).toEqual(real.body.token.roles.map((r: any) => Object.keys(r)));
      expect(Math.abs(mine.bytes - real.bytes) / real.bytes).toBeLessThan(0.05);
    });
    it(`project-scoped token ${label}: same keys, token length, and body size within 5 %`, async () => {
      const real = await post(env.OS_AUTH_URL, realTrustee(), project, nocatalog);
      const mine = await post(ks.authUrl, fake, project, nocatalog);
      expect(mine.status).toBe(real.status);
      expect(mine.token!.length).toBe(real.token!.length);
      expect(Object.keys(mine.body.token)).toEqual(Object.keys(real.body.token));
      expect(Math.abs(mine.bytes - real.bytes) / real.bytes).toBeLessThan(0.05);
    });
  }

  it('catalog: same services, entry shape and endpoint shape', async () => {
    const real = (await post(env.OS_AUTH_URL, realTrustee(), { trustId: trust.id })).body.token.catalog;
    const mine = (await post(ks.authUrl, fake, { trustId: ks.trustIds[0] })).body.token.catalog;
    const types = (c: any[]) => c.map((s) => s.type).sort();
    expect(types(mine)).toEqual(types(real));
    expect(Object.keys(mine[0])).toEqual(Object.keys(real[0]));
    expect(Object.keys(mine[0].endpoints[0])).toEqual(Object.keys(real[0].endpoints[0]));
    expect(mine.flatMap((s: any) => s.endpoints)).toHaveLength(real.flatMap((s: any) => s.endpoints).length);
  });

  it('version discovery answers alike', async () => {
    for (const path of ['/', '/v3']) {
      const realRes = await request(env.OS_AUTH_URL.replace(/\/v3$/, '') + path);
      const mineRes = await request(ks.url + path);
      expect(mineRes.statusCode).toBe(realRes.statusCode);
      expect(Object.keys((await mineRes.body.json()) as object)).toEqual(Object.keys((await realRes.body.json()) as object));
    }
  });

  it('error cases the designs rely on: bad password and deleted trust → 401 with the same error document', async () => {
    const badReal = await post(env.OS_AUTH_URL, { ...realTrustee(), password: 'wrong' }, { trustId: trust.id });
    const badMine = await post(ks.authUrl, { ...fake, password: 'wrong' }, { trustId: ks.trustIds[0] });
    expect(badMine.status).toBe(401);
    expect(badReal.status).toBe(401);
    expect(badMine.body).toEqual(badReal.body);

    const doomed = await createRealTrust();
    expect(await doomed.remove()).toBe(204);
    ks.deleteTrust(ks.trustIds[1]);
    const goneReal = await post(env.OS_AUTH_URL, realTrustee(), { trustId: doomed.id });
    const goneMine = await post(ks.authUrl, fake, { trustId: ks.trustIds[1] });
    expect(goneReal.status).toBe(401);
    expect(goneMine.status).toBe(401);
    expect(goneMine.body).toEqual(goneReal.body);
  });
});
