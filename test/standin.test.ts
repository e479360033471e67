import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startStandIn, type StandIn } from '../src/keystone/standin.ts';
import { authenticate, authRequestBody, KeystoneError } from '../src/keystone/auth.ts';

let ks: StandIn;
const target = () => ({ authUrl: ks.authUrl, username: ks.trustee.username, password: ks.trustee.password, userDomainName: 'Default' });

beforeAll(async () => {
  ks = await startStandIn({ trusts: 5, recordTokens: true });
});
afterAll(() => ks.close());

describe('Keystone v3 stand-in', () => {
  it('serves version discovery on / and /v3', async () => {
    const root = await request(`${ks.url}/`);
    expect(root.statusCode).toBe(300);
    const doc = (await root.body.json()) as any;
    expect(doc.versions.values[0].id).toMatch(/^v3\./);
    const v3 = await request(`${ks.url}/v3`);
    expect(v3.statusCode).toBe(200);
    expect(((await v3.body.json()) as any).version.links[0].href).toBe(`${ks.url}/v3/`);
  });

  it('issues a project-scoped token with a 13 × 3 catalog', async () => {
    const r = await authenticate(target(), { project: { name: 'bench', domainName: 'Default' } });
    expect(r.tokenId).toHaveLength(183);
    const t = r.body.token as any;
    expect(t.project.name).toBe('bench');
    expect(t.catalog).toHaveLength(13);
    expect(t.catalog.flatMap((s: any) => s.endpoints)).toHaveLength(39);
    expect(r.expiresAt - Date.now()).toBeGreaterThan(3500_000);
  });

  it('issues a trust-scoped token, and ?nocatalog leaves the catalog out', async () => {
    const full = await authenticate(target(), { trustId: ks.trustIds[0] });
    expect(full.tokenId).toHaveLength(204);
    expect((full.body.token as any)['OS-TRUST:trust'].id).toBe(ks.trustIds[0]);
    const bare = await authenticate(target(), { trustId: ks.trustIds[0], nocatalog: true });
    expect(bare.body.token.catalog).toBeUndefined();
    const size = (x: unknown) => JSON.stringify(x).length;
    expect(size(full.body)).toBeGreaterThan(7000);
    expect(size(bare.body)).toBeLessThan(1200);
  });

  it('answers 401 with Keystone error JSON for a wrong password', async () => {
    const res = await request(`${ks.authUrl}/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: ks.trustee.username, domain: { name: 'Default' }, password: 'wrong' } } }, scope: { 'OS-TRUST:trust': { id: ks.trustIds[0] } } } }),
    });
    expect(res.statusCode).toBe(401);
    expect(((await res.body.json()) as any).error).toMatchObject({ code: 401, title: 'Unauthorized' });
  });

  it('answers 401 for an unknown or deleted trust', async () => {
    await expect(authenticate(target(), { trustId: 'f'.repeat(32) })).rejects.toMatchObject({ kind: 'unauthorized' });
    ks.deleteTrust(ks.trustIds[4]);
    const err = await authenticate(target(), { trustId: ks.trustIds[4] }).catch((e) => e);
    expect(err).toBeInstanceOf(KeystoneError);
    expect(err.status).toBe(401);
  });

  it('validates tokens with GET /v3/auth/tokens (404 for unknown) and counts every token it issues', async () => {
    const before = ks.tokensIssued();
    const a = await authenticate(target(), { trustId: ks.trustIds[1] });
    const b = await authenticate(target(), { trustId: ks.trustIds[2] });
    expect(ks.tokensIssued()).toBe(before + 2);
    expect(a.tokenId).not.toBe(b.tokenId);
    const ok = await request(`${ks.authUrl}/auth/tokens`, { headers: { 'x-auth-token': a.tokenId, 'x-subject-token': b.tokenId } });
    expect(ok.statusCode).toBe(200);
    expect(((await ok.body.json()) as any).token['OS-TRUST:trust'].id).toBe(ks.trustIds[2]);
    const missing = await request(`${ks.authUrl}/auth/tokens`, { headers: { 'x-auth-token': a.tokenId, 'x-subject-token': 'gAAAAAnope' } });
    expect(missing.statusCode).toBe(404);
    const text = await missing.body.text();
    expect(text).not.toContain('gAAAAAnope');
    expect(ks.issuedTokens()).toContain(a.tokenId);
  });

  it('answers 400 (not 500, which clients retry) for a body that is not JSON or is over 1 MB', async () => {
    for (const body of ['{not json', 'x'.repeat((1 << 20) + 10)]) {
      const res = await request(`${ks.authUrl}/auth/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(res.statusCode).toBe(400);
      expect(((await res.body.json()) as any).error.code).toBe(400);
    }
  });
});

describe('the auth request body', () => {
  it('is the credentials of the target asked for, whatever was asked before', () => {
    const a = { authUrl: 'http://127.0.0.1:1/v3', username: 'svc', password: 'one', userDomainName: 'Default' };
    const b = { ...a, password: 'two' };
    const parse = (t: typeof a) => JSON.parse(authRequestBody(t, { trustId: 'f'.repeat(32) }));
    expect(parse(a).auth.identity.password.user.password).toBe('one');
    expect(parse(b).auth.identity.password.user.password).toBe('two');
    expect(parse({ ...a }).auth.identity.password.user.password).toBe('one');
    expect(parse(a).auth.scope).toEqual({ 'OS-TRUST:trust': { id: 'f'.repeat(32) } });
    expect(JSON.parse(authRequestBody(a, {})).auth).toEqual({ identity: parse(a).auth.identity });
  });
});
