// The private memcached, the memcached client (pool of two servers, hashing, failures, deleteKeys) and the
// memcached-handle design against the Keystone stand-in.
import { readdirSync, readFileSync, readlinkSync, statSync, existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { startMemcachedServer, type MemcachedServer } from '../src/stores/memcached/server.ts';
import { connectMemcached, deleteKeys, probe, stats, streamLines, type MemcachedLocation } from '../src/stores/memcached/client.ts';
import { startStandIn, type StandIn } from '../src/keystone/standin.ts';
import { authenticate } from '../src/keystone/auth.ts';
import type { CacheInstance, DesignContext } from '../src/designs/contract.ts';
import design, { deriveKeys, protect, unprotect, type MemcachedHandle } from '../src/designs/memcached-handle.ts';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { survivors } from './helpers/procs.ts';

/** Inodes of the sockets a process holds, from /proc/<pid>/fd. */
function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(m[1]);
    } catch {
      /* closed meanwhile */
    }
  }
  return out;
}
/** Inodes of every TCP/UDP socket on the machine (IPv4 and IPv6), from /proc/net. */
function inetInodes(): Set<string> {
  const out = new Set<string>();
  for (const table of ['tcp', 'tcp6', 'udp', 'udp6']) {
    let text = '';
    try {
      text = readFileSync(`/proc/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.trim().split('\n').slice(1)) out.add(line.trim().split(/\s+/)[9]);
  }
  return out;
}

/** Resolves once every thread of `pid` is in the stopped state: SIGSTOP is delivered asynchronously. */
async function stoppedAll(pid: number): Promise<void> {
  const state = (tid: string) => readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').replace(/^.*\) /s, '')[0];
  for (;;) {
    if (readdirSync(`/proc/${pid}/task`).every((tid) => state(tid) === 'T')) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

const servers: MemcachedServer[] = [];
async function start(): Promise<MemcachedServer> {
  const s = await startMemcachedServer({ memoryMB: 256 });
  servers.push(s);
  return s;
}
afterAll(async () => {
  for (const s of servers) {
    try {
      process.kill(s.pid, 'SIGCONT'); // a test may have frozen it
    } catch {
      /* gone */
    }
    await s.stop();
  }
  // no process and no temp dir outlives the file, killed and frozen servers included
  expect(await survivors(servers.map((s) => s.pid), 2000)).toEqual([]);
  expect(servers.filter((s) => existsSync(s.dir))).toEqual([]);
});

describe('private memcached', () => {
  it('listens on a 0700 unix socket in a 0700 dir, no TCP or UDP, and stop() leaves no process or dir', async () => {
    const s = await startMemcachedServer();
    expect(s.version).toMatch(/^1\.\d+\.\d+/);
    expect(statSync(s.dir).mode & 0o777).toBe(0o700);
    expect(statSync(s.socketPath).isSocket()).toBe(true);
    expect(statSync(s.socketPath).mode & 0o777).toBe(0o700);
    const mine = socketInodes(s.pid);
    expect(mine.size).toBeGreaterThan(0); // the unix listener
    const inet = inetInodes();
    expect([...mine].filter((i) => inet.has(i))).toEqual([]);
    expect((await probe({ socketPath: s.socketPath, keyPrefix: 'x:' }))[0].version).toBe(s.version);
    const st = (await stats({ socketPath: s.socketPath }))[0];
    expect(st.pid).toBe(s.pid);
    await s.stop();
    expect(await survivors([s.pid], 2000)).toEqual([]);
    expect(existsSync(s.dir)).toBe(false);
  });

  it('reports a missing binary clearly and leaves no dir', async () => {
    const ours = () => readdirSync(tmpdir()).filter((d) => d.startsWith('kcb-memcached-'));
    const before = new Set(ours());
    const err = await startMemcachedServer({ binary: 'no-such-memcached-binary' }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/memcached is not installed/);
    expect(ours().filter((d) => !before.has(d))).toEqual([]);
  });
});

describe('client against a pool of two private servers', () => {
  let a: MemcachedServer;
  let b: MemcachedServer;
  let loc: MemcachedLocation;
  beforeAll(async () => {
    [a, b] = await Promise.all([start(), start()]);
    loc = { servers: [a.socketPath, b.socketPath], keyPrefix: 'kcb:t1:' };
  });

  it('spreads keys over both servers by client-side hashing, as serverFor() says', async () => {
    const c = await connectMemcached(loc, { timeoutMs: 500 });
    const onA = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const k = `kcb:t1:spread:${i}`;
      await c.set(k, `v${i}`, 60);
      if (c.serverFor(k) === a.socketPath) onA.add(k);
    }
    const [sa, sb] = await stats(loc);
    expect(sa.curr_items + sb.curr_items).toBe(400);
    expect(sa.curr_items).toBe(onA.size);
    expect(Math.min(sa.curr_items, sb.curr_items)).toBeGreaterThan(100); // ketama: roughly even
    expect(await c.get('kcb:t1:spread:7')).toBe('v7');
    expect(await c.get('kcb:t1:none')).toBeNull();
    await deleteKeys(loc, 'kcb:t1:');
    c.close();
  });

  it('deleteKeys removes exactly the prefix\'s keys, on every server, and leaves the others', async () => {
    const c = await connectMemcached(loc, { timeoutMs: 500 });
    for (let i = 0; i < 1500; i++) await c.set(`kcb:runA:${i}`, 'a', 60);
    for (let i = 0; i < 700; i++) await c.set(`kcb:runB:${i}`, 'b', 60);
    await c.set('kcb:runAx', 'lookalike without the colon', 60);
    await c.set('kcb:runA:odd key/+=%', 'binary-protocol key with a space', 60);
    expect(await deleteKeys(loc, 'kcb:runA:')).toBe(1501);
    for (const i of [0, 1, 777, 1499]) expect(await c.get(`kcb:runA:${i}`)).toBeNull();
    for (const i of [0, 350, 699]) expect(await c.get(`kcb:runB:${i}`)).toBe('b');
    expect(await c.get('kcb:runAx')).not.toBeNull();
    const items = (await stats(loc)).reduce((n, s) => n + s.curr_items, 0);
    expect(items).toBe(701);
    expect(await deleteKeys(loc, 'kcb:runA:')).toBe(0);
    await expect(deleteKeys(loc, '')).rejects.toThrow(/empty prefix/);
    await deleteKeys(loc, 'kcb:');
    c.close();
  });
});

describe('client when a server of the pool dies or freezes', () => {
  /** keys that hash to each server of a fresh two-server pool */
  async function pool() {
    const [a, b] = await Promise.all([start(), start()]);
    const loc = { servers: [a.socketPath, b.socketPath], keyPrefix: 'kcb:' };
    return { a, b, loc };
  }
  const keysOn = (c: { serverFor(k: string): string }, server: string, n: number) =>
    Array.from({ length: 200 }, (_, i) => `kcb:f:${i}`).filter((k) => c.serverFor(k) === server).slice(0, n);

  it('without failover: calls for a killed server\'s keys fail in milliseconds; the other server\'s keys still work', async () => {
    const { a, b, loc } = await pool();
    const c = await connectMemcached(loc, { timeoutMs: 1000 });
    const onA = keysOn(c, a.socketPath, 5);
    const onB = keysOn(c, b.socketPath, 5);
    for (const k of [...onA, ...onB]) await c.set(k, 'v', 60);
    process.kill(b.pid, 'SIGKILL');
    await survivors([b.pid], 2000);
    for (const k of onB) {
      const t0 = performance.now();
      await expect(c.get(k)).rejects.toThrow(/memcached GET failed/);
      expect(performance.now() - t0).toBeLessThan(200);
    }
    for (const k of onA) expect(await c.get(k)).toBe('v');
    await expect(connectMemcached(loc, { timeoutMs: 500 })).rejects.toThrow(/ECONNREFUSED|ENOENT/);
    c.close();
  });

  it('with failover (memjs): a killed server\'s keys move to the survivor for failoverTime, as misses', async () => {
    const { a, b, loc } = await pool();
    const c = await connectMemcached(loc, { timeoutMs: 1000, failover: true, failoverTimeS: 30 });
    const onB = keysOn(c, b.socketPath, 5);
    for (const k of onB) await c.set(k, 'v', 60);
    process.kill(b.pid, 'SIGKILL');
    await survivors([b.pid], 2000);
    const t0 = performance.now();
    for (const k of onB) expect(await c.get(k)).toBeNull(); // served by the survivor: a miss, not an error
    expect(performance.now() - t0).toBeLessThan(500);
    await c.set(onB[0], 'again', 60);
    expect(await c.get(onB[0])).toBe('again');
    expect((await stats({ socketPath: a.socketPath }))[0].curr_items).toBe(1);
    c.close();
  });

  it('a frozen server (SIGSTOP) fails each call within the timeout, not a hang', async () => {
    const { a, b, loc } = await pool();
    const c = await connectMemcached(loc, { timeoutMs: 300 });
    const onB = keysOn(c, b.socketPath, 3);
    await c.set(onB[0], 'v', 60);
    process.kill(b.pid, 'SIGSTOP');
    try {
      // the signal is queued, not yet taken: wait until every thread of the server is stopped (state T)
      await stoppedAll(b.pid);
      for (const k of onB) {
        const t0 = performance.now();
        await expect(c.get(k)).rejects.toThrow(/memcached (GET failed: socket timed out|did not answer GET)/);
        expect(performance.now() - t0).toBeLessThan(800);
      }
      const t0 = performance.now();
      await expect(stats(loc, 300)).rejects.toThrow(/did not answer stats within 300 ms/);
      await expect(deleteKeys(loc, 'kcb:', 300)).rejects.toThrow(/did not answer/);
      expect(performance.now() - t0).toBeLessThan(1500);
      expect(await c.get(keysOn(c, a.socketPath, 1)[0])).toBeNull();
    } finally {
      process.kill(b.pid, 'SIGCONT');
    }
    c.close();
  });
});

// keystonemiddleware's own module (Debian python3-keystonemiddleware), when installed: same keys, same values.
const kmwCrypt = spawnSync('/usr/bin/python3', ['-c', 'from keystonemiddleware.auth_token import _memcache_crypt'], { encoding: 'utf8' }).status === 0;

describe('ENCRYPT protection is keystonemiddleware\'s', () => {
  // Under CI the package must be there: a missing one fails instead of skipping.
  it.runIf(process.env.CI === 'true')('python3-keystonemiddleware is installed (required under CI)', () => {
    expect(kmwCrypt, 'from keystonemiddleware.auth_token import _memcache_crypt failed (apt-get install -y python3-keystonemiddleware)').toBe(true);
  });

  it.skipIf(!kmwCrypt)('keystonemiddleware\'s _memcache_crypt derives the same cache key and opens our value, and we open its value', () => {
    const secret = 'shared-secret';
    const trust = 'a'.repeat(32);
    const keys = deriveKeys(trust, Buffer.from(secret));
    const ours = protect(keys, '{"token":"gAAAA-example"}');
    const py = spawnSync('/usr/bin/python3', ['-c', `
import sys, json
from keystonemiddleware.auth_token import _memcache_crypt as mc
a = json.loads(sys.stdin.read())
keys = mc.derive_keys(a['trust'].encode(), a['secret'].encode(), b'ENCRYPT')
print(json.dumps({
  'cache_key': mc.get_cache_key(keys).decode(),
  'opened': mc.unprotect_data(keys, a['value'].encode()).decode(),
  'theirs': mc.protect_data(keys, b'{"token":"from-python"}').decode(),
}))`], { input: JSON.stringify({ trust, secret, value: ours }), encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const out = JSON.parse(py.stdout);
    expect(out.cache_key).toBe(keys.cacheKey.toString('base64'));
    expect(out.opened).toBe('{"token":"gAAAA-example"}');
    expect(unprotect(keys, out.theirs)).toBe('{"token":"from-python"}');
    expect(unprotect(deriveKeys('b'.repeat(32), Buffer.from(secret)), out.theirs)).toBeUndefined();
  });
});

describe('design memcached-handle', () => {
  let ks: StandIn;
  let mc: MemcachedServer;
  let agent: Agent;
  let ctx: DesignContext;
  let cache: CacheInstance<MemcachedHandle>;
  const loc = () => ({ socketPath: mc.socketPath, keyPrefix: 'kcb:memcached-handle:' });

  beforeAll(async () => {
    ks = await startStandIn({ trusts: 30, recordTokens: true });
    mc = await start();
    agent = new Agent({ keepAliveTimeout: 10_000, connections: 16 });
    const target = { authUrl: ks.authUrl, username: ks.trustee.username, password: ks.trustee.password, userDomainName: 'Default' };
    ctx = {
      keystoneUrl: ks.authUrl,
      keystone: target,
      async authenticate(trustId, opts) {
        const r = await authenticate(target, { trustId, nocatalog: !(opts?.catalog ?? true), dispatcher: agent, timeoutMs: 5000, retries: 0 });
        return { tokenId: r.tokenId, expiresAt: r.expiresAt, body: JSON.stringify(r.body), parsed: r.body };
      },
      timeoutMs: 2000,
      retries: 0,
      stores: { memcached: loc() },
      secret: 'test-shared-secret',
      now: Date.now,
    };
    cache = await design.open(ctx);
  });
  afterAll(async () => {
    await cache?.close();
    await agent?.close();
    await ks?.close();
  });

  async function expectUsable(token: string, trustId: string) {
    const res = await request(`${ks.authUrl}/auth/tokens`, { headers: { 'x-auth-token': token, 'x-subject-token': token } });
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as any).token['OS-TRUST:trust'].id).toBe(trustId);
  }

  it('describes itself as the contract asks', () => {
    expect(design).toMatchObject({ id: 'memcached-handle', topology: 'shared', needs: ['memcached'] });
  });

  it('create/token round trip: a hit mints no token; the value hides the token; TTL ends 120 s before expiry', async () => {
    const trust = ks.trustIds[0];
    const h = await cache.create(trust);
    expect(h.key.startsWith('kcb:memcached-handle:')).toBe(true);
    expect(h.key).not.toContain(trust);
    expect(h.key).toMatch(/^kcb:memcached-handle:[A-Za-z0-9+/]{22}==$/); // base64 of 16 bytes, as get_cache_key()
    const before = ks.tokensIssued();
    const t1 = await cache.token(h);
    const t2 = await cache.token(h);
    expect(t2).toBe(t1);
    expect(ks.tokensIssued()).toBe(before);
    await expectUsable(t1, trust);
    const c = await connectMemcached(loc());
    const raw = (await c.get(h.key))!;
    expect(raw).not.toContain(t1);
    expect(raw).not.toContain('alarming');
    expect(raw).toMatch(/^[A-Za-z0-9+/]{64}[A-Za-z0-9+/]+={0,2}$/); // MAC (b64) + b64(IV + ciphertext)
    // meta get with the t flag: remaining TTL in seconds
    let ttl = NaN;
    await streamLines(mc.socketPath, [`mg ${h.key} t`], (line) => ((ttl = Number(/ t(-?\d+)/.exec(line)?.[1])), true));
    expect(ttl).toBeGreaterThan(3600 - 120 - 30);
    expect(ttl).toBeLessThanOrEqual(3600 - 120);
    c.close();
  });

  it('attach() authenticates nothing and reuses another process\'s record (same secret); another secret misses', async () => {
    const trust = ks.trustIds[1];
    const h = await cache.create(trust);
    const token = await cache.token(h);
    const other = await design.open({ ...ctx });
    const before = ks.tokensIssued();
    const attached = await other.attach!(trust);
    expect(ks.tokensIssued()).toBe(before);
    expect(await other.token(attached)).toBe(token);
    expect(ks.tokensIssued()).toBe(before);
    await other.close();
    const stranger = await design.open({ ...ctx, secret: 'another-secret' });
    const h2 = await stranger.attach!(trust);
    expect(h2.key).not.toBe(h.key);
    expect(await stranger.token(h2)).not.toBe(token);
    expect(ks.tokensIssued()).toBe(before + 1);
    await stranger.close();
  });

  it('a tampered value is a miss: re-authenticates and overwrites, never used', async () => {
    const trust = ks.trustIds[2];
    const h = await cache.create(trust);
    const token = await cache.token(h);
    const c = await connectMemcached(loc());
    const raw = (await c.get(h.key))!;
    // flip one character of the ciphertext, and separately one of the MAC
    for (const at of [raw.length - 10, 5]) {
      const flipped = raw.slice(0, at) + (raw[at] === 'A' ? 'B' : 'A') + raw.slice(at + 1);
      await c.set(h.key, flipped, 600);
      const before = ks.tokensIssued();
      const again = await cache.token(h);
      expect(again).not.toBe(token);
      expect(ks.tokensIssued()).toBe(before + 1);
      expect(await c.get(h.key)).not.toBe(flipped); // overwritten
      await expectUsable(again, trust);
      expect(await cache.token(h)).toBe(again); // and the overwrite is a hit
    }
    await c.set(h.key, 'garbage', 600);
    expect(await cache.token(h)).toMatch(/.{100,}/);
    c.close();
  });

  it('a value copied to another trust\'s key is a miss for that trust (its own MAC key)', async () => {
    const [t1, t2] = [ks.trustIds[3], ks.trustIds[4]];
    const h1 = await cache.create(t1);
    const h2 = await cache.create(t2);
    const tok1 = await cache.token(h1);
    const c = await connectMemcached(loc());
    await c.set(h2.key, (await c.get(h1.key))!, 600);
    const before = ks.tokensIssued();
    const tok2 = await cache.token(h2);
    expect(tok2).not.toBe(tok1);
    expect(ks.tokensIssued()).toBe(before + 1);
    await expectUsable(tok2, t2);
    c.close();
  });

  it('on an accelerated clock the TTL handed to memcached is scaled by the speed-up', async () => {
    const fast = await design.open({ ...ctx, clock: { now: Date.now, speedup: 60 } });
    const h = await fast.create(ks.trustIds[6]);
    let ttl = NaN;
    await streamLines(mc.socketPath, [`mg ${h.key} t`], (line) => ((ttl = Number(/ t(-?\d+)/.exec(line)?.[1])), true));
    // (3600 − 120) s / 60 = 58, rounded up, plus the second memcached's once-a-second clock can take away
    expect(ttl).toBeGreaterThanOrEqual(57);
    expect(ttl).toBeLessThanOrEqual(59);
    await fast.close();
  });

  it('a deleted or expired record re-authenticates', async () => {
    const h = await cache.create(ks.trustIds[5]);
    const token = await cache.token(h);
    const c = await connectMemcached(loc());
    expect(await c.delete(h.key)).toBe(true);
    const again = await cache.token(h);
    expect(again).not.toBe(token);
    c.close();
  });

  it('memcached bytes per key for 10,000 entries', async () => {
    await deleteKeys(loc(), 'kcb:');
    const trusts = ks.createTrusts(10_000);
    const before = (await stats(loc()))[0];
    const handles: MemcachedHandle[] = new Array(trusts.length);
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < trusts.length) {
        const i = next++;
        handles[i] = await cache.create(trusts[i]);
      }
    }));
    const after = (await stats(loc()))[0];
    const items = after.curr_items - before.curr_items;
    const perKey = (after.bytes - before.bytes) / items;
    const mallocPerKey = (after.total_malloced - before.total_malloced) / items;
    const c = await connectMemcached(loc());
    const valueLength = (await c.get(handles[0].key))!.length;
    c.close();
    console.log(`memcached-handle: ${items} keys, value ${valueLength} B, key ${handles[0].key.length} B, memcached bytes ${perKey.toFixed(1)} B/key, slab pages ${mallocPerKey.toFixed(1)} B/key`);
    expect(items).toBe(10_000);
    expect(perKey).toBeGreaterThan(valueLength);
    expect(perKey).toBeLessThan(valueLength + 200);
    expect(await deleteKeys(loc(), 'kcb:memcached-handle:')).toBe(10_000);
  });
});
