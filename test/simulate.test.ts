// The token simulation: real worker processes with the real designs against the stand-in, on an accelerated
// clock, must mint what the model says — exactly for a deterministic stream, within noise for a random one —
// a shared Redis must mint fewer tokens than per-worker caches, and nothing may outlive the run.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectedTokens } from '../src/model/tokens.ts';
import { replayNoise, replayTokens, trustNotifications, validateStream, workerNotifications, type StreamSpec } from '../src/model/sim-stream.ts';
import { agreement, lossAgrees, overlappingMints } from '../src/model/sim-agreement.ts';
import { runSimulation, SIM_DEFAULTS, type SimOptions } from '../src/simulate/run.ts';
import type { DesignContext } from '../src/designs/contract.ts';
import memcachedHandle, { type MemcachedHandle } from '../src/designs/memcached-handle.ts';
import { startMemcachedServer } from '../src/stores/memcached/server.ts';
import { simulateMain } from '../src/cli/simulate-cli.ts';
import { runInProcess } from './helpers/in-process.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

describe('stream and replay (pure)', () => {
  const spec: StreamSpec = { trusts: 300, workers: 4, notificationsPerTrustPerPeriod: 3, periods: 5, stream: 'poisson', routing: 'random', seed: 7 };

  it('the replay averaged over seeds converges on expectedTokens (the model is right for this stream)', () => {
    for (const design of ['per-worker', 'shared'] as const) {
      const model = expectedTokens({ ...spec, design }).tokens;
      const { mean, sd, runs } = replayNoise(spec, design, 300);
      // the mean of 300 runs has a standard error of sd/√300: 4 of those is a generous bound
      expect(Math.abs(mean - model)).toBeLessThan(4 * (sd / Math.sqrt(runs)) + 1e-9);
    }
    // without a cache every notification mints
    const none = replayTokens(spec, 'none');
    expect(none.tokens).toBe(none.notifications);
  });

  it('a deterministic stream replays to exactly the model, with zero noise', () => {
    const ticks: StreamSpec = { ...spec, stream: 'ticks', routing: 'round-robin', notificationsPerTrustPerPeriod: 2.5, periods: 4 };
    for (const design of ['none', 'per-worker', 'shared'] as const) {
      expect(replayTokens(ticks, design).tokens).toBe(expectedTokens({ ...ticks, design }).tokens);
      expect(replayNoise(ticks, design).sd).toBe(0);
    }
  });

  it('every notification goes to exactly one worker, each worker sees its share in time order', () => {
    const all = Array.from({ length: spec.trusts }, (_, i) => trustNotifications(spec, i)).flat();
    const mine = Array.from({ length: spec.workers }, (_, w) => workerNotifications(spec, w));
    expect(mine.reduce((a, m) => a + m.length, 0)).toBe(all.length);
    for (const m of mine) for (let i = 1; i < m.length; i++) expect(m[i].t).toBeGreaterThanOrEqual(m[i - 1].t);
    // same seed, same stream (every worker process regenerates it)
    expect(trustNotifications(spec, 5)).toEqual(trustNotifications({ ...spec }, 5));
    expect(trustNotifications({ ...spec, seed: 8 }, 5)).not.toEqual(trustNotifications(spec, 5));
  });

  it('refuses streams the model cannot match', () => {
    expect(() => validateStream({ ...spec, routing: 'round-robin' })).toThrow(/ticks/);
    expect(() => validateStream({ ...spec, stream: 'ticks', notificationsPerTrustPerPeriod: 3, periods: 4 })).toThrow(/whole number/);
    expect(() => validateStream({ ...spec, stream: 'ticks', notificationsPerTrustPerPeriod: 2.5, periods: 3 })).toThrow(/whole/);
    expect(() => validateStream({ ...spec, workers: 0 })).toThrow(RangeError);
  });

  it('a store loss re-mints each lost trust notified while its token was valid; later renewals come earlier', () => {
    // ticks every 0.4 P on one worker from 0.5 (0.5, 0.9, … 3.3): mints at 0.5, 1.7, 2.9
    const one: StreamSpec = { trusts: 1, workers: 1, notificationsPerTrustPerPeriod: 2.5, periods: 3.2, stream: 'ticks', routing: 'round-robin', seed: 1 };
    expect(replayTokens(one, 'shared').tokens).toBe(3);
    const lose = (at: number) => replayTokens(one, 'shared', { at, trusts: new Set([0]) });
    // lost at 1.9: the tick at 2.1 re-mints (the token of 1.7 was valid), the next renewal is 3.3: one extra
    expect(lose(1.9)).toMatchObject({ tokens: 4, earlyRemints: 1 });
    // lost at 2.4: the tick at 2.5 re-mints early, but that token covers 2.9 and 3.3: the run ends with no extra
    expect(lose(2.4)).toMatchObject({ tokens: 3, earlyRemints: 1 });
    // lost at 2.8, when the token of 1.7 had expired anyway: nothing extra
    expect(lose(2.8)).toMatchObject({ tokens: 3, earlyRemints: 0 });
    // per-worker caches are not in the store; a loss after the stream costs nothing
    expect(replayTokens(one, 'per-worker', { at: 1.9, trusts: new Set([0]) }).tokens).toBe(3);
    expect(replayTokens(one, 'shared', { at: 10, trusts: new Set([0]) }).tokens).toBe(3);
    // many trusts: the net extra is > 0 and at most one per early re-mint
    const half = new Set(Array.from({ length: spec.trusts }, (_, i) => i).filter((i) => i % 2));
    const base = replayTokens(spec, 'shared').tokens;
    const lost = replayTokens(spec, 'shared', { at: 3, trusts: half });
    expect(lost.tokens - base).toBeGreaterThan(0);
    expect(lost.tokens - base).toBeLessThanOrEqual(lost.earlyRemints!);
    expect(lossAgrees(10, 12)).toBe(true);
    expect(lossAgrees(30, 40)).toBe(false);
  });

  it('counts overlapping mints of one trust by different workers only', () => {
    const r = overlappingMints([
      { worker: 0, mints: [1, 100, 110, 2, 100, 110] },
      { worker: 1, mints: [1, 105, 112, 2, 111, 115] }, // trust 1 overlaps worker 0's mint; trust 2 starts after it ended
      { worker: 2, mints: [3, 200, 210] },
      { worker: 2, mints: [3, 205, 207] }, // the same worker (a sequential consumer never overlaps itself)
    ]);
    expect(r).toBe(1);
  });
});

describe('simulation with real processes', () => {
  it('deterministic stream: each design mints exactly what the model says; shared Redis mints fewer; no process left', async () => {
    // ticks every 0.4 P, round-robin over 2 workers: nothing falls within 0.2 P (160 ms here) of an expiry
    const o: SimOptions = {
      ...SIM_DEFAULTS, designs: ['full-client', 'token-record', 'redis-handle'], workers: 2, trusts: 20,
      notificationsPerTrustPerPeriod: 2.5, periods: 4, stream: 'ticks', routing: 'round-robin', periodMs: 800,
    };
    const r = await runSimulation(o);
    const by = Object.fromEntries(r.designs.map((d) => [d.design, d]));
    const perWorker = expectedTokens({ ...o, design: 'per-worker' }).tokens;
    const shared = expectedTokens({ ...o, design: 'shared' }).tokens;
    expect(perWorker).toBe(120); // 10 ticks per trust, 5 per worker, a token covers the worker's next one: 3 each
    expect(shared).toBe(80); // one cache: a token covers the next 2 ticks: 4 per trust
    for (const id of ['full-client', 'token-record'] as const) {
      expect(by[id].errors).toBe(0);
      expect(by[id].notifications).toBe(200);
      expect(by[id].tokensIssued).toBe(perWorker);
      expect(by[id].tokensObtained).toBe(perWorker);
      expect(by[id].entriesPerWorker).toEqual([20, 20]);
    }
    expect(by['redis-handle'].errors).toBe(0);
    expect(by['redis-handle'].tokensIssued).toBe(shared);
    expect(by['redis-handle'].concurrentMints).toBe(0);
    expect(by['redis-handle'].tokensIssued).toBeLessThan(by['token-record'].tokensIssued);
    for (const d of r.designs) expect(agreement(d, o.periodMs)).toMatchObject({ ok: true, deviation: 0 });
    // workers (one set, reused across designs) and the redis-server are all gone
    expect(r.pids.length).toBe(3);
    for (const pid of r.pids) expect(alive(pid)).toBe(false);
  });

  it('memcached shared by the workers, as deployments share it: mints what the shared model says; its server is gone after', async () => {
    const o: SimOptions = {
      ...SIM_DEFAULTS, designs: ['memcached-handle'], workers: 2, trusts: 20,
      notificationsPerTrustPerPeriod: 2.5, periods: 4, stream: 'ticks', routing: 'round-robin', periodMs: 800,
    };
    const r = await runSimulation(o);
    const [d] = r.designs;
    expect(d.model).toBe('shared');
    expect(d.errors).toBe(0);
    expect(d.tokensIssued).toBe(expectedTokens({ ...o, design: 'shared' }).tokens);
    expect(agreement(d, o.periodMs)).toMatchObject({ ok: true });
    // two workers and one memcached
    expect(r.pids.length).toBe(3);
    for (const pid of r.pids) expect(alive(pid)).toBe(false);
  }, 60_000);

  it('Poisson stream, random routing: the count matches the replay of its stream and the model within noise', async () => {
    const o: SimOptions = {
      ...SIM_DEFAULTS, designs: ['token-record'], workers: 3, trusts: 60, notificationsPerTrustPerPeriod: 6, periods: 3,
      periodMs: 800, noiseRuns: 100, seed: 11,
    };
    const r = await runSimulation(o);
    const d = r.designs[0];
    expect(d.errors).toBe(0);
    expect(d.expected.tokens).toBeCloseTo(expectedTokens({ ...o, design: 'per-worker' }).tokens, 9);
    // the code follows the rule: a token or two may flip at an expiry boundary when a worker is late
    expect(Math.abs(d.tokensIssued - d.replay.tokens)).toBeLessThanOrEqual(Math.max(2, 0.01 * d.replay.tokens));
    // the model: within 4 sd of sampling noise for a run this small (~1.5 %)
    expect(Math.abs(d.tokensIssued - d.expected.tokens)).toBeLessThan(4 * d.noiseSd + 2);
    for (const pid of r.pids) expect(alive(pid)).toBe(false);
  });
});

describe('memcached-handle over a pool of two servers, one killed', () => {
  const ctxFor = (servers: string[], failover: boolean): DesignContext & { minted: () => number } => {
    let minted = 0;
    return {
      keystoneUrl: 'http://127.0.0.1:1/v3',
      keystone: { authUrl: 'http://127.0.0.1:1/v3', username: 'u', password: 'p', userDomainName: 'Default' },
      authenticate: async () => {
        minted++;
        return { tokenId: randomUUID(), expiresAt: Date.now() + 3_600_000, body: '{}', parsed: { token: { expires_at: '' } } };
      },
      timeoutMs: 2000,
      retries: 0,
      stores: { memcached: { servers, keyPrefix: 'kcb:pool:', ...(failover ? { failover: true } : {}) } },
      secret: 'shared',
      now: Date.now,
      minted: () => minted,
    };
  };

  it('with failover (the simulation\'s pool) a dead server is a miss and a new token on the survivor; without it (the bench) an error', async () => {
    const [a, b] = await Promise.all([startMemcachedServer({ memoryMB: 16, threads: 1 }), startMemcachedServer({ memoryMB: 16, threads: 1 })]);
    try {
      const ctxs = [ctxFor([a.socketPath, b.socketPath], true), ctxFor([a.socketPath, b.socketPath], false)];
      const [withFailover, without] = await Promise.all(ctxs.map((c) => memcachedHandle.open(c)));
      // trusts whose record hashes to b, and their tokens stored while both servers live
      const onB = Array.from({ length: 40 }, (_, i) => `trust-${i}`).filter((t) => withFailover.storeServer!(t) === b.socketPath).slice(0, 4);
      expect(onB.length).toBe(4);
      const handles = await Promise.all(onB.map((t) => withFailover.attach!(t))) as MemcachedHandle[];
      const before = await Promise.all(handles.map((h) => withFailover.token(h)));
      expect(await Promise.all(handles.map((h) => without.token(h)))).toEqual(before); // one shared cache, hits
      process.kill(b.pid, 'SIGKILL');
      await b.stop();
      // failover: every lost trust mints once (a miss on the survivor), then hits there
      const minted = ctxs[0].minted();
      const after = await Promise.all(handles.map((h) => withFailover.token(h)));
      for (let i = 0; i < after.length; i++) expect(after[i]).not.toBe(before[i]);
      expect(ctxs[0].minted() - minted).toBe(onB.length);
      expect(await Promise.all(handles.map((h) => withFailover.token(h)))).toEqual(after);
      // the bench's client keeps failover off: the same calls fail clearly instead
      await expect(without.token(handles[0])).rejects.toThrow(/memcached GET failed/);
      await withFailover.close();
      await without.close();
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});

describe('simulation with a memcached pool, one server killed mid-run', () => {
  it('the run goes on, the lost keys cost the extra tokens the replay predicts, nothing is left behind', async () => {
    // ticks every 2/7 P, round-robin: no notification within 0.14 P (114 ms) of an expiry; the kill lands mid-run
    const o: SimOptions = {
      ...SIM_DEFAULTS, designs: ['memcached-handle'], workers: 2, trusts: 40, notificationsPerTrustPerPeriod: 3.5, periods: 4,
      stream: 'ticks', routing: 'round-robin', periodMs: 800, memcachedPool: 2, killServerAt: 0.5,
    };
    const r = await runSimulation(o);
    const [d] = r.designs;
    expect(d.errors).toBe(0);
    expect(d.notifications).toBe(40 * 14);
    const l = d.loss!;
    expect(l.poolSize).toBe(2);
    expect(l.atPeriods).toBeGreaterThan(2.4);
    expect(l.trustsOnServer).toBeGreaterThan(0);
    expect(l.trustsOnServer).toBeLessThan(40);
    // each lost trust re-minted at most once early; the net extra is what the replay with the loss predicts
    expect(l.predictedExtra).toBeGreaterThan(0);
    expect(l.predictedExtra).toBeLessThanOrEqual(l.earlyRemints!);
    expect(l.extraVsReplay).toBeGreaterThan(0);
    expect(Math.abs(l.extraVsReplay - l.predictedExtra!)).toBeLessThanOrEqual(3);
    expect(d.tokensIssued).toBeGreaterThan(expectedTokens({ ...o, design: 'shared' }).tokens);
    expect(agreement(d, o.periodMs)).toMatchObject({ ok: true, lossOk: true });
    // two workers and two memcached servers, all gone, and the servers' private directories too
    expect(r.pids.length).toBe(4);
    for (const pid of r.pids) expect(alive(pid)).toBe(false);
    expect(existsSync(dirname(l.server.socketPath))).toBe(false);
  }, 60_000);
});

describe('CLI', () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'bench/model.ts', '--simulate', ...args], { encoding: 'utf8', timeout: 60_000 });

  it('prints model vs simulation per design', () => {
    const r = run('--designs', 'token-record', '--workers', '1', '--trusts', '4', '--rate', '2.5', '--periods', '2',
      '--stream', 'ticks', '--routing', 'round-robin', '--period-ms', '600');
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^token-record\s+per-worker\s+20\s+8\s+exact\s+8\s+8\s+–\s+\+0\s+\+0\.00 %.*agrees/m);
    expect(r.stdout).toContain('clock ×');
  });

  it.each([[['--workers', 'x']], [['--designs', 'memcached']], [['--routing', 'round-robin']], [['--bogus']],
    [['--kill-server-at', '0.5']], [['--memcached-pool', '2', '--kill-server-at', '1']], [['--memcached-pool', '9']],
    [['--memcached-pool', '2', '--designs', 'token-record']], [['--memcached-pool', '2', '--kill-server-at', 'half']]])(
    'exit 2 with a one-line error for %j', async (args) => {
      // in-process, through the same runMain as the script: a usage error is refused before anything starts
      const r = await runInProcess(simulateMain, args);
      expect(r.status).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^error: /);
    });
});
