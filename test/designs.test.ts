import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startStandIn, type StandIn } from '../src/keystone/standin.ts';
import { startRedisServer, type RedisServer } from '../src/redis/server.ts';
import { connectRedis } from '../src/redis/client.ts';
import { DESIGNS } from '../src/designs/index.ts';
import type { DesignContext } from '../src/designs/design.ts';
import { KeystoneV3Client } from '../src/keystone/client.ts';

let ks: StandIn;
let redis: RedisServer;
let ctx: DesignContext;

beforeAll(async () => {
  ks = await startStandIn({ trusts: 20, recordTokens: true });
  redis = await startRedisServer();
  ctx = {
    keystone: { authUrl: ks.authUrl, username: ks.trustee.username, password: ks.trustee.password, userDomainName: 'Default' },
    timeoutMs: 5000,
    retries: 0,
    redis: { socketPath: redis.socketPath },
  };
});
afterAll(async () => {
  await redis.stop();
  await ks.close();
});

/** A token is usable when Keystone validates it and it is scoped to the trust it was obtained for. */
async function expectUsable(token: string, trustId: string) {
  const res = await request(`${ks.authUrl}/auth/tokens`, { headers: { 'x-auth-token': token, 'x-subject-token': token } });
  expect(res.statusCode).toBe(200);
  expect(((await res.body.json()) as any).token['OS-TRUST:trust'].id).toBe(trustId);
}

describe.each(DESIGNS.filter((d) => d.runtime === 'node').map((d) => [d.id, d] as const))('design %s', (id, info) => {
  it('yields a usable token for its trust, and reuses it while it is valid', async () => {
    const design = await (await info.load!())(ctx);
    const trust = ks.trustIds[DESIGNS.indexOf(info)];
    const entry = await design.create(trust);
    const before = ks.tokensIssued();
    const t1 = await design.token(entry);
    const t2 = await design.token(entry);
    expect(t1).toBe(t2);
    expect(ks.tokensIssued()).toBe(before); // cached: no new token minted
    await expectUsable(t1, trust);
    await design.close();
  });

  it('fails with a clear 401 error for a deleted trust, without the password in the message', async () => {
    const design = await (await info.load!())(ctx);
    const trust = ks.trustIds[10 + DESIGNS.indexOf(info)];
    ks.deleteTrust(trust);
    const err = await design.create(trust).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/401/);
    expect((err as Error).message).not.toContain(ks.trustee.password);
    expect((err as Error).message).not.toContain(trust);
    await design.close();
  });
});

describe('full client', () => {
  it('finds endpoints by service type and interface in its cached catalog', async () => {
    const c = new KeystoneV3Client(ctx.keystone, ks.trustIds[5]);
    await c.authenticate();
    expect(c.getEndpoint('compute')).toMatch(/:8774\/v2\.1$/);
    expect(c.getEndpoint('identity', 'internal')).toMatch(/:5000\/v3$/);
    expect(c.getEndpoint('no-such-service')).toBeUndefined();
    await c.close();
  });
});

describe('redis designs', () => {
  it('store under a SHA-256 key with a TTL shorter than the token lifetime; the encrypted variant hides the token', async () => {
    const client = await connectRedis({ socketPath: redis.socketPath });
    for (const info of DESIGNS.filter((d) => d.needsRedis)) {
      const design = await (await info.load!())(ctx);
      const trust = ks.trustIds[15];
      const handle = (await design.create(trust)) as { key: string };
      const token = await design.token(handle);
      expect(handle.key).toMatch(new RegExp(`^kcb:${info.id}:[0-9a-f]{64}$`));
      expect(handle.key).not.toContain(trust);
      const ttl = await client.ttl(handle.key);
      expect(ttl).toBeGreaterThan(3000);
      expect(ttl).toBeLessThanOrEqual(3600 - 120);
      const raw = (await client.get(handle.key))!;
      if (info.id.endsWith('encrypted')) expect(raw).not.toContain(token);
      else expect(JSON.parse(raw).token).toBe(token);
      // A miss (key expired or evicted) re-authenticates and stores again.
      await client.del(handle.key);
      const again = await design.token(handle);
      expect(again).not.toBe(token);
      await expectUsable(again, trust);
      await design.close();
    }
    client.destroy();
  });

  it('the private redis-server listens on a 0700 unix socket only', async () => {
    const { statSync } = await import('node:fs');
    expect(statSync(redis.dir).mode & 0o777).toBe(0o700);
    expect(statSync(redis.socketPath).mode & 0o777).toBe(0o700);
    const client = await connectRedis({ socketPath: redis.socketPath });
    expect(await client.configGet('port')).toEqual({ port: '0' });
    client.destroy();
  });
});
