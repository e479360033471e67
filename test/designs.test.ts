// The built-in designs as the harness loads them (src/design-registry/registry.ts → load.ts), and every node design's
// module driven directly through the contract (open → create → token → close) against the stand-in and private
// stores: a usable token scoped to its trust, reused while valid, a clear error for a deleted trust.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { BUILTIN_MODULES } from '../src/design-registry/builtin.ts';
import type { DesignContext, NodeDesignModule } from '../src/designs/contract.ts';
import { designIdPattern, type DesignDescriptor } from '../src/designs/descriptor.ts';
import { loadDesigns, type DesignSet } from '../src/design-registry/registry.ts';
import { KeystoneV3Client } from '../src/keystone/client.ts';
import { startStandIn, type StandIn } from '../src/keystone/standin.ts';
import { startMemcachedServer, type MemcachedServer } from '../src/stores/memcached/server.ts';
import { connectRedis } from '../src/stores/redis/client.ts';
import { startRedisServer, type RedisServer } from '../src/stores/redis/server.ts';
import { makeContext } from '../src/worker/node/context.ts';

const CI = process.env.CI === 'true';
const set: DesignSet = await loadDesigns();
const nodeDesigns = set.designs.filter((d) => d.runtime === 'node');

/** The built-ins and what each says it is: the model, the stores started per sample and the guard follow from it. */
const EXPECTED: Array<Pick<DesignDescriptor, 'id' | 'runtime' | 'topology' | 'needs'>> = [
  { id: 'full-client', runtime: 'node', topology: 'per-worker', needs: [] },
  { id: 'token-record', runtime: 'node', topology: 'per-worker', needs: [] },
  { id: 'redis-handle', runtime: 'node', topology: 'shared', needs: ['redis'] },
  { id: 'redis-handle-encrypted', runtime: 'node', topology: 'shared', needs: ['redis'] },
  { id: 'memcached-handle', runtime: 'node', topology: 'shared', needs: ['memcached'] },
  { id: 'python-keystoneclient', runtime: 'python', topology: 'per-worker', needs: [] },
  { id: 'aodh-trusted-client', runtime: 'python', topology: 'per-worker', needs: [] },
  { id: 'aodh-session', runtime: 'python', topology: 'per-worker', needs: [] },
  { id: 'aodh-session-nocatalog', runtime: 'python', topology: 'per-worker', needs: [] },
  { id: 'aodh-shared-session', runtime: 'python', topology: 'per-worker', needs: [] },
  { id: 'python-token-record', runtime: 'python', topology: 'per-worker', needs: [] },
  { id: 'python-auth-state', runtime: 'python', topology: 'shared', needs: ['memcached'] },
];

describe('the built-in designs (loadDesigns)', () => {
  it('are every built-in module, each described by its own module, in the order of builtin.ts', () => {
    // a machine without the python packages reports those designs unavailable (CI must have them all)
    if (CI) expect(Object.fromEntries(set.unavailable)).toEqual({});
    const all = [...set.designs.map((d) => d.id), ...set.unavailable.keys()];
    expect(all.sort()).toEqual(EXPECTED.map((d) => d.id).sort());
    expect(set.designs.map((d) => d.id)).toEqual(EXPECTED.map((d) => d.id).filter((id) => !set.unavailable.has(id)));
    for (const d of set.designs) {
      expect(d, d.id).toMatchObject(EXPECTED.find((e) => e.id === d.id)!);
      expect(d.id).toMatch(designIdPattern);
      expect(d.builtin).toBe(true);
      expect(BUILTIN_MODULES).toContain(d.module);
      expect(d.title.trim().length).toBeGreaterThan(10);
      expect(d.planningBytesPerEntry).toBeGreaterThan(0);
    }
    for (const [id, why] of set.unavailable) expect(why, id).toMatch(/run npm run setup|apt-get install/);
  });

  it('python designs name the packages they need; the full client plans for a large entry', () => {
    const py = set.designs.find((d) => d.id === 'python-keystoneclient');
    if (py) expect(py.requires).toContain('keystoneclient');
    expect(set.designs.find((d) => d.id === 'full-client')!.planningBytesPerEntry).toBeGreaterThanOrEqual(32 * 1024);
    expect(set.designs.find((d) => d.id === 'token-record')!.planningBytesPerEntry).toBe(2048); // the node default
  });

  it('a built-in that cannot load on this machine is unavailable with the fix, not fatal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kcb-builtin-'));
    try {
      const missing = join(dir, 'needs_missing.py');
      writeFileSync(missing, "ID = 'needs-missing'\nTITLE = 't'\nTOPOLOGY = 'per-worker'\nREQUIRES = ['kcb_no_such_package']\n" +
        'def create(t, ctx):\n    return t\n\ndef token(e, ctx):\n    return e\n');
      const r = await loadDesigns([], [BUILTIN_MODULES[1], missing]);
      expect(r.designs.map((d) => d.id)).toEqual(['token-record']);
      expect([...r.unavailable.keys()]).toEqual(['needs-missing']); // named after its file until it can be described
      expect(r.unavailable.get('needs-missing')).toMatch(/REQUIRES 'kcb_no_such_package' does not import .*\(run npm run setup\)$/);
      expect(r.unavailable.get('needs-missing')).not.toMatch(/^design module/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

let ks: StandIn;
let redis: RedisServer;
let memcached: MemcachedServer;
let ctx: DesignContext & { dispose(): Promise<void> };

beforeAll(async () => {
  ks = await startStandIn({ trusts: 40, recordTokens: true });
  redis = await startRedisServer();
  memcached = await startMemcachedServer();
  ctx = makeContext({
    keystone: { authUrl: ks.authUrl, username: ks.trustee.username, password: ks.trustee.password, userDomainName: 'Default' },
    timeoutMs: 5000,
    retries: 0,
    stores: { redis: { socketPath: redis.socketPath, keyPrefix: 'kcb:' }, memcached: { socketPath: memcached.socketPath, keyPrefix: 'kcb:' } },
  });
});
afterAll(async () => {
  await ctx?.dispose();
  await redis?.stop();
  await memcached?.stop();
  await ks?.close();
});

const moduleOf = async (d: DesignDescriptor) => (await import(pathToFileURL(d.module).href)).default as NodeDesignModule;

/** A token is usable when Keystone validates it and it is scoped to the trust it was obtained for. */
async function expectUsable(token: string, trustId: string) {
  const res = await request(`${ks.authUrl}/auth/tokens`, { headers: { 'x-auth-token': token, 'x-subject-token': token } });
  expect(res.statusCode).toBe(200);
  expect(((await res.body.json()) as any).token['OS-TRUST:trust'].id).toBe(trustId);
}

describe.each(nodeDesigns.map((d, i) => [d.id, d, i] as const))('node design %s', (_id, info, index) => {
  it('its module default-exports what its descriptor says', async () => {
    const m = await moduleOf(info);
    expect({ id: m.id, title: m.title, topology: m.topology, needs: m.needs ?? [] }).toEqual({ id: info.id, title: info.title, topology: info.topology, needs: info.needs });
    expect(typeof m.open).toBe('function');
    expect(basename(info.module)).toBe(`${info.id}.ts`);
  });

  it('yields a usable token for its trust, and reuses it while it is valid', async () => {
    const design = await (await moduleOf(info)).open(ctx);
    const trust = ks.trustIds[index];
    const entry = await design.create(trust);
    const before = ks.tokensIssued();
    const t1 = await design.token(entry);
    const t2 = await design.token(entry);
    expect(t1).toBe(t2);
    expect(ks.tokensIssued()).toBe(before); // cached: no new token minted
    await expectUsable(t1, trust);
    await design.close();
  });

  it('fails with a clear 401 error for a deleted trust, without the password or the trust id in the message', async () => {
    const design = await (await moduleOf(info)).open(ctx);
    const trust = ks.trustIds[20 + index];
    ks.deleteTrust(trust);
    const err = await design.create(trust).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/401/);
    expect((err as Error).message).not.toContain(ks.trustee.password);
    expect((err as Error).message).not.toContain(trust);
    await design.close();
  });

  if (info.topology === 'shared') {
    it('attach() reuses the token another worker stored, without authenticating', async () => {
      // two workers sharing the store and its secret (keystonemiddleware's memcache_secret_key; base64 of 32 bytes)
      const secret = Buffer.alloc(32, 7).toString('base64');
      const worker1 = await (await moduleOf(info)).open({ ...ctx, secret });
      const worker2 = await (await moduleOf(info)).open({ ...ctx, secret });
      const trust = ks.trustIds[30 + index];
      const token = await worker1.token(await worker1.create(trust));
      const before = ks.tokensIssued();
      const handle = await worker2.attach!(trust);
      expect(await worker2.token(handle)).toBe(token);
      expect(ks.tokensIssued()).toBe(before);
      await worker1.close();
      await worker2.close();
    });
  }
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
    const redisDesigns = nodeDesigns.filter((d) => d.needs.includes('redis'));
    expect(redisDesigns.map((d) => d.id)).toEqual(['redis-handle', 'redis-handle-encrypted']);
    for (const info of redisDesigns) {
      const design = await (await moduleOf(info)).open(ctx);
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

  it('write under the key prefix the harness gives them (a run-unique one on a store the user owns)', async () => {
    const client = await connectRedis({ socketPath: redis.socketPath });
    const info = nodeDesigns.find((d) => d.id === 'redis-handle')!;
    const design = await (await moduleOf(info)).open({ ...ctx, stores: { redis: { socketPath: redis.socketPath, keyPrefix: 'kcb:0123abcd:' } } });
    const handle = (await design.create(ks.trustIds[16])) as { key: string };
    expect(handle.key).toMatch(/^kcb:0123abcd:redis-handle:[0-9a-f]{64}$/);
    expect(await client.exists(handle.key)).toBe(1);
    await design.close();
    client.destroy();
  });

  it('the private redis-server listens on a 0700 unix socket only', async () => {
    expect(statSync(redis.dir).mode & 0o777).toBe(0o700);
    expect(statSync(redis.socketPath).mode & 0o777).toBe(0o700);
    const client = await connectRedis({ socketPath: redis.socketPath });
    expect(await client.configGet('port')).toEqual({ port: '0' });
    client.destroy();
  });
});

describe('a design opened without the store it needs', () => {
  it.each(nodeDesigns.filter((d) => d.needs.length).map((d) => [d.id, d] as const))('%s says which store is missing', async (_id, info) => {
    const err = await (await moduleOf(info)).open({ ...ctx, stores: {} }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(new RegExp(`${info.id} needs a ${info.needs[0] === 'redis' ? 'Redis' : 'memcached'}`));
  });
});
