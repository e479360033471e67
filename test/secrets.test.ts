// Secrets: no token id, password or trust id in anything a run writes or prints; Redis values sealed so that a
// tampered or moved value is never used; the private servers listen only locally and are gone after the run.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDesigns } from '../src/design-registry/registry.ts';
import { BUILTIN_MODULES } from '../src/design-registry/builtin.ts';
import { openRedisCache, redisKey, type RedisHandle } from '../src/designs/redis-cache.ts';
import { createSealer } from '../src/designs/seal.ts';
import { startStandIn, type StandIn } from '../src/keystone/standin.ts';
import { startStandInEnv } from '../src/keystone/env.ts';
import { launcherFor } from '../src/measure/runtimes.ts';
import { runWorker } from '../src/measure/session.ts';
import { makeContext } from '../src/worker/node/context.ts';
import { connectRedis, type Redis } from '../src/stores/redis/client.ts';
import { startRedisServer, type RedisServer } from '../src/stores/redis/server.ts';
import type { Results } from '../src/results/schema.ts';
import { redact, registerSecret } from '../src/util/redact.ts';
import { childrenOf, leftoverDirs, startScript, survivors, watchChildren, type Finished, killStrays } from './helpers/procs.ts';
import { filesUnder, leaks, readDump, type Dumped } from './helpers/secrets.ts';

const tmp = mkdtempSync(join(tmpdir(), 'kcb-secrets-'));
const strays: number[] = [];
afterAll(() => {
  killStrays(strays); // only PIDs seen as children of this file's own run
  rmSync(tmp, { recursive: true, force: true });
});

describe('a whole run (5 node designs, heap snapshots, latency, report) with every secret the stand-in issued', () => {
  const out = join(tmp, 'out');
  const dumpFile = join(tmp, 'issued.json');
  // the run's own temp dir: store servers' sockets and the heap snapshots (which hold token ids) go there
  const runTmp = join(tmp, 'run-tmp');
  let res: Finished;
  let dump: Dumped;
  let pids: number[];
  let redisDirs: string[];
  let watchedComms: string[];

  beforeAll(async () => {
    // a partial file from an older interrupted run: a complete run must not leave it next to newer results
    mkdirSync(out, { recursive: true });
    mkdirSync(runTmp, { mode: 0o700 });
    writeFileSync(join(out, 'latest.partial.json'), '{"stale":true}');
    const run = startScript('bench/cli.ts', ['--designs', 'full-client,token-record,redis-handle,redis-handle-encrypted,memcached-handle',
      '--maxsize', '20', '--steps', '3', '--trials', '1', '--snapshot-n', '10', '--warmup', '10', '--concurrency', '4', '--latency-ms', '50', '--json', '--out', out],
    { env: { KCB_TEST_DUMP_TOKENS: dumpFile, TMPDIR: runTmp } });
    const watch = watchChildren(run.pid);
    res = await run.done;
    watch.stop();
    pids = [...watch.seen.keys()];
    strays.push(...pids);
    redisDirs = watch.redisDirs();
    watchedComms = [...watch.seen.values()].map((c) => c.comm);
    dump = readDump(dumpFile);
  });

  it('completes and writes JSON, CSV, Markdown, HTML and charts', () => {
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(res.status).toBe(0);
    const names = filesUnder(out).map(([n]) => n);
    for (const f of ['latest.json', 'samples.csv', 'summary.md', 'index.html', 'README.md']) expect(names).toContain(f);
    expect(names.some((n) => n.endsWith('.png'))).toBe(true);
    expect(names).not.toContain('latest.partial.json');
    expect(names.filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('greps every output file, stdout and stderr: no token id, password or trust id anywhere', () => {
    // every sample's tokens plus warm-ups, the snapshot runs and the latency runs: hundreds of distinct token ids to look for
    expect(dump.tokens.length).toBeGreaterThan(200);
    expect(dump.passwords).toHaveLength(2);
    expect(dump.trustIds.length).toBeGreaterThan(20);
    const texts: Array<[string, string]> = [...filesUnder(out), ['stdout', res.stdout], ['stderr', res.stderr]];
    expect(texts.length).toBeGreaterThan(8);
    expect(leaks(texts, dump)).toEqual([]);
  });

  it('used a stand-in on 127.0.0.1 and left no worker, store server, temp dir or heap snapshot behind', async () => {
    const results = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as Results;
    expect(results.meta.keystone.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v3$/);
    // the heap snapshots were taken (and analysed) in the run's temp dir
    for (const d of results.designs) expect(d.snapshot, d.id).toBeDefined();
    // per Redis design one run and one snapshot run, each with its own server, plus one for the latency phase (5);
    // polling every 20 ms can miss a server that lived for less
    expect(redisDirs.length).toBeGreaterThanOrEqual(4);
    expect(redisDirs.every((d) => d.startsWith(runTmp))).toBe(true);
    expect([...new Set([...watchedComms])].sort()).toEqual(expect.arrayContaining(['memcached', 'redis-server']));
    expect(pids.length).toBeGreaterThan(12);
    expect(await survivors(pids)).toEqual([]);
    expect(leftoverDirs(redisDirs)).toEqual([]);
    // nothing of the harness's own (tsx keeps its transpile cache there: tsx-<uid>)
    expect(readdirSync(runTmp).filter((f) => !/^tsx-\d+$/.test(f))).toEqual([]);
  });
});

describe('redact() — the last line of defence for every message that leaves the harness', () => {
  it('removes Fernet-shaped tokens, tokens after a token header, and registered secrets', () => {
    const token = `gAAAAA${'x'.repeat(150)}`;
    registerSecret('s3cret-pa55word');
    const text = `failed with ${token}; X-Subject-Token: 0123456789abcdef0123456789abcdef; password s3cret-pa55word`;
    const out = redact(text);
    expect(out).not.toContain(token);
    expect(out).not.toContain('0123456789abcdef0123456789abcdef');
    expect(out).not.toContain('s3cret-pa55word');
    expect(out).toBe('failed with [token]; X-Subject-Token: [token]; password [secret]');
  });
});

describe('a worker process', () => {
  it('does not inherit credential variables (OS_PASSWORD with --keystone-url) in its environment', async () => {
    const ks = await startStandInEnv({ services: 13, trusts: 10 }, {});
    const secret = 'kcb-env-secret-4711';
    process.env.OS_PASSWORD = secret;
    let environ = '';
    const watcher = setInterval(() => {
      const worker = childrenOf(process.pid).find((c) => c.cmdline.includes('worker-'));
      if (worker && !environ) {
        try {
          environ = readFileSync(`/proc/${worker.pid}/environ`, 'latin1');
        } catch {
          /* exited meanwhile: try the next poll */
        }
      }
    }, 5);
    try {
      // slow authentications keep the worker alive long enough to read its environment
      ks.standIn!.setFault({ kind: 'delay', ms: 100 });
      const { designs } = await loadDesigns([], BUILTIN_MODULES.filter((m) => m.endsWith('token-record.ts')));
      const outcome = await runWorker({ design: designs[0], trial: 1, ladder: [0, 5], trustIds: await ks.trustIds(6), warmup: 1, concurrency: 1,
        timeoutMs: 30_000, ctx: { keystone: ks.target, timeoutMs: 5000, retries: 0, stores: {} } }, launcherFor('node'));
      expect(outcome.failure).toBeUndefined();
      expect(outcome.samples.map((s) => s.n)).toEqual([0, 5]);
    } finally {
      clearInterval(watcher);
      delete process.env.OS_PASSWORD;
      await ks.close();
    }
    expect(environ).toContain('PATH=');
    expect(environ).not.toContain(secret);
    expect(environ).not.toContain('OS_PASSWORD');
  });
});

describe('the stand-in listens on 127.0.0.1 only', () => {
  it('binds its port on the loopback address, not on all interfaces', async () => {
    const ks = await startStandIn();
    try {
      const port = Number(new URL(ks.url).port);
      const hex = port.toString(16).toUpperCase().padStart(4, '0');
      // /proc/net/tcp: local_address is "IP:PORT" in hex (little-endian IP), state 0A = LISTEN
      const listening = ['/proc/net/tcp', '/proc/net/tcp6']
        .flatMap((f) => readFileSync(f, 'utf8').split('\n').slice(1))
        .map((l) => l.trim().split(/\s+/))
        .filter((c) => c[1]?.endsWith(`:${hex}`) && c[3] === '0A')
        .map((c) => c[1]);
      expect(listening).toEqual([`0100007F:${hex}`]);
    } finally {
      await ks.close();
    }
  });
});

describe('sealed Redis values (AES-256-GCM, key bound to the Redis key as associated data)', () => {
  it('a tampered value, a value under another key, or another key fails to open', () => {
    const sealer = createSealer();
    const keyA = redisKey('redis-handle-encrypted', 'trust-a');
    const keyB = redisKey('redis-handle-encrypted', 'trust-b');
    const sealed = sealer.seal('{"token":"gAAAAAsecret"}', keyA);
    expect(sealer.open(sealed, keyA)).toBe('{"token":"gAAAAAsecret"}');
    expect(Buffer.from(sealed, 'base64').toString('latin1')).not.toContain('gAAAAAsecret');
    const raw = Buffer.from(sealed, 'base64');
    raw[raw.length - 1] ^= 1; // one bit of the ciphertext
    expect(() => sealer.open(raw.toString('base64'), keyA)).toThrow();
    const tag = Buffer.from(sealed, 'base64');
    tag[12] ^= 1; // one bit of the auth tag
    expect(() => sealer.open(tag.toString('base64'), keyA)).toThrow();
    expect(() => sealer.open(sealed, keyB)).toThrow(); // moved to another trust's key
    expect(() => createSealer().open(sealed, keyA)).toThrow(); // another process's key
    expect(() => sealer.open('dG9vIHNob3J0', keyA)).toThrow(/too short/);
  });

  describe('through the redis-handle-encrypted design', () => {
    let ks: StandIn;
    let server: RedisServer;
    let client: Redis;
    beforeAll(async () => {
      ks = await startStandIn({ trusts: 3 });
      server = await startRedisServer();
      client = await connectRedis({ socketPath: server.socketPath });
    });
    afterAll(async () => {
      client.destroy();
      await server.stop();
      await ks.close();
    });

    it('never hands out a token from a tampered or moved value: it authenticates again and overwrites it', async () => {
      const ctx = makeContext({
        keystone: { authUrl: ks.authUrl, username: ks.trustee.username, password: ks.trustee.password, userDomainName: 'Default' },
        timeoutMs: 5000, retries: 0, stores: { redis: { socketPath: server.socketPath, keyPrefix: 'kcb:' } },
      });
      const design = await openRedisCache(ctx, 'redis-handle-encrypted', createSealer());
      const a = (await design.create(ks.trustIds[0])) as RedisHandle;
      const b = (await design.create(ks.trustIds[1])) as RedisHandle;
      const tokenA = await design.token(a);
      const tokenB = await design.token(b);

      // A value copied from trust A's key to trust B's key does not open under B's key.
      await client.set(b.key, (await client.get(a.key))!);
      let before = ks.tokensIssued();
      const afterMove = await design.token(b);
      expect(afterMove).not.toBe(tokenA);
      expect(afterMove).not.toBe(tokenB);
      expect(ks.tokensIssued()).toBe(before + 1);

      // A tampered value is not used either.
      const raw = Buffer.from((await client.get(a.key))!, 'base64');
      raw[raw.length - 1] ^= 1;
      await client.set(a.key, raw.toString('base64'));
      before = ks.tokensIssued();
      const afterTamper = await design.token(a);
      expect(afterTamper).not.toBe(tokenA);
      expect(ks.tokensIssued()).toBe(before + 1);
      // …and the fresh record replaced it, so the next lookup is a hit again.
      expect(await design.token(a)).toBe(afterTamper);
      expect(ks.tokensIssued()).toBe(before + 1);
      await design.close();
      await ctx.dispose();
    });
  });
});
