// The token model (src/model/tokens.ts) checked against the real code: W notifier worker processes, each running
// a real cache design against the embedded Keystone stand-in, fed a seeded stream of notifications over T trusts
// on an accelerated clock; the stand-in counts the tokens it issues. Per design, the count is set beside
//   - expectedTokens(): the model's expectation for this run size (the thing under test),
//   - the replay of the very same stream through the caching rule (src/model/sim-stream.ts): what the rule
//     mints for this realisation, so "simulated − replay" is what the code adds, free of sampling noise,
//   - the sampling noise of the count (sd of the replay over other seeds): how far from the expectation a
//     correct simulation of this size may land.
//
// The clock. Keystone's real constants are kept — token lifetime 3600 s, keystoneauth's 120 s refresh margin,
// so a usable period P = 3480 s — and time runs `speedup` times faster: the stand-in issues expires_at on the
// accelerated clock and the designs compare it with the same clock (DesignContext.clock), while the Redis
// design scales the TTL it hands to Redis. With the default P = 1.8 s real (×1933), a token lives 1.86 s and
// the margin is 62 ms: the "short lifetime, proportionally scaled margin" idea, without making the margin a
// parameter of the code under test. The stand-in prints expires_at in whole (accelerated) seconds, 1/3480 of P.
//
// What the acceleration does not scale: the time a mint takes (~1–3 ms real = 2–6 accelerated seconds). Within
// a worker notifications are handled one at a time, so that only shifts a token's start by ~0.1 % of P; across
// workers sharing Redis it opens a window in which two workers miss the same trust and both mint. Those
// overlapping mints are counted (concurrentMints) and reported apart: in production the window is ~26 ms of a
// 3480 s period, ~150× narrower relative to P than here.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { REFRESH_MARGIN_MS } from '../keystone/auth.ts';
import { startStandIn, type StandIn } from '../keystone/standin.ts';
import type { StoreId, StoreLocation } from '../designs/contract.ts';
import { storeDriver } from '../stores/index.ts';
import type { PrivateStore } from '../stores/store.ts';
import type { DesignDescriptor } from '../designs/descriptor.ts';
import { BUILTIN_MODULES } from '../catalog/builtin.ts';
import { loadDesigns } from '../catalog/registry.ts';
import { supervise, type Supervised } from '../measure/child.ts';
import { workerEnv } from '../measure/runtimes.ts';
import { expectedTokens, type Design, type RunExpectation } from '../model/tokens.ts';
import { replayNoise, replayTokens, validateStream, type StoreLoss, type StreamSpec } from '../model/sim-stream.ts';
import { overlappingMints } from '../model/sim-agreement.ts';
import type { SimParentMessage, SimWorkerDone, SimWorkerMessage } from './protocol.ts';

/** Designs the simulation can run: node design modules (built-in or --design-module), and the notifier without a cache. */
export const SIM_DESIGNS = ['no-cache', 'full-client', 'token-record', 'redis-handle', 'redis-handle-encrypted'] as const;
export type SimDesign = string;
export const DEFAULT_SIM_DESIGNS: SimDesign[] = ['full-client', 'token-record', 'redis-handle'];

/** The design modules a simulation can load, by id: their module and the topology their descriptor declares. */
export type SimCatalog = Map<string, Pick<DesignDescriptor, 'module' | 'topology' | 'needs'>>;

/** Which cache topology of the model a design is: from its descriptor. */
export function modelDesignOf(id: string, catalog: SimCatalog): Design {
  if (id === 'no-cache') return 'none';
  const d = catalog.get(id);
  if (!d) throw new RangeError(`unknown design ${id}`);
  return d.topology;
}

export interface SimOptions extends StreamSpec {
  designs: SimDesign[];
  /** node design modules the designs are taken from (default: the built-in ones) */
  catalog?: SimCatalog;
  /** real milliseconds one usable period P lasts (sets the speed-up) */
  periodMs: number;
  /** token lifetime on the accelerated clock, seconds (Keystone's default 3600) */
  tokenLifetimeS: number;
  /** seeds for the sampling-noise estimate */
  noiseRuns: number;
  /**
   * private memcached servers the workers share, hashed client-side (1: one server). With 2 or more the designs'
   * clients fail over: a dead server's keys rehash to the next server (StoreLocation.failover).
   */
  memcachedPool: number;
  /** kill the pool's first server (SIGKILL, by its PID) at this fraction of each memcached design's run, 0 < f < 1 */
  killServerAt?: number;
  /** progress lines (stderr in the CLI) */
  note?: (line: string) => void;
}

/**
 * The default run, ~25 s on 2 cores for the three designs. 24 notifications per trust per usable period is
 * x = 6 per worker cache, where the renewal model (x/(1+x) = 0.86 tokens per period) and the window bound
 * (1 − e^−x = 0.998) differ by 16 %; 200 trusts × 3 periods give ~2,350 per-worker tokens, whose sampling
 * noise is ~0.3 % — so 1 % is > 3 sd. A 1.8 s period keeps the full-client design (a TCP connection per token)
 * at ~330 tokens/s, within what 2 cores serve without making the workers late.
 */
export const SIM_DEFAULTS: Omit<SimOptions, 'note'> = {
  designs: DEFAULT_SIM_DESIGNS,
  workers: 4,
  trusts: 200,
  notificationsPerTrustPerPeriod: 24,
  periods: 3,
  stream: 'poisson',
  routing: 'random',
  seed: 1,
  periodMs: 1800,
  tokenLifetimeS: 3600,
  noiseRuns: 100,
  memcachedPool: 1,
};

/** At most this many private memcached servers in a simulated pool. */
export const MAX_MEMCACHED_POOL = 8;

/** A server of the memcached pool killed mid-run, and what it cost. */
export interface SimServerLoss {
  poolSize: number;
  /** the server killed (the pool's first): its pid (we started it) and socket */
  server: { pid: number; socketPath: string };
  /** when, as asked (fraction of the run's periods + 1) and as it happened (stream time, usable periods) */
  atFraction: number;
  atPeriods: number;
  /** trusts whose record hashed to the killed server (null: the design does not say where its records live) */
  trustsOnServer: number | null;
  /** the stream replayed with those trusts' tokens dropped at the kill */
  replayWithLoss: number | null;
  /** in that replay, lost trusts notified again while their token was still valid: each re-mints once early */
  earlyRemints: number | null;
  /** replayWithLoss − replay: the extra tokens the loss should cost this stream */
  predictedExtra: number | null;
  /** (simulated − dup) − replay: the extra tokens it did cost */
  extraVsReplay: number;
  /** (simulated − dup) − the model's expectation, which knows no failure */
  extraVsModel: number;
}

export interface SimDesignResult {
  design: SimDesign;
  model: Design;
  notifications: number;
  /** the model's expectation for this run (expectedTokens) */
  expected: RunExpectation;
  /** the caching rule replayed over this run's stream */
  replay: { tokens: number; entriesPerWorker: number[] };
  /** sd of the token count over other seeds (0 for a deterministic stream) */
  noiseSd: number;
  /** tokens the stand-in issued during the stream (warm-up excluded): the measurement */
  tokensIssued: number;
  /** the same, counted by the workers' clients */
  tokensObtained: number;
  /** (issued − expected) / expected */
  deviation: number;
  /** (issued − expected) / noise sd; null when the sd is 0 */
  z: number | null;
  /** shared designs: mints of one trust by two workers whose calls overlapped (no cross-worker lock) */
  concurrentMints: number;
  entriesPerWorker: number[];
  /** notification handling delay, real ms: worst p50, worst p99 and max over workers */
  lagMs: [number, number, number];
  errors: number;
  firstError?: string;
  workerPids: number[];
  /** --kill-server-at: the memcached server killed during this design's stream */
  loss?: SimServerLoss;
  wallMs: number;
}

export interface SimResult {
  options: Omit<SimOptions, 'note'>;
  speedup: number;
  refreshMarginS: number;
  usablePeriodS: number;
  designs: SimDesignResult[];
  /** every process the simulation started (workers, store servers), for "nothing left behind" checks */
  pids: number[];
  wallMs: number;
}

/** The workers' entry (run through tsx: one process serves every design in turn, loading each design module). */
const WORKER = fileURLToPath(new URL('./worker-main.ts', import.meta.url));

export function validateSimOptions(o: SimOptions): void {
  validateStream(o);
  const known = o.catalog ? ['no-cache', ...o.catalog.keys()] : [...SIM_DESIGNS];
  const bad = o.designs.filter((d) => !known.includes(d));
  if (!o.designs.length || bad.length) throw new RangeError(`designs must be some of ${known.join(', ')} (got ${bad.join(', ') || 'none'})`);
  if (!(Number.isFinite(o.periodMs) && o.periodMs >= 200)) throw new RangeError(`period must be ≥ 200 ms of real time (got ${o.periodMs})`);
  if (!(Number.isFinite(o.tokenLifetimeS) && o.tokenLifetimeS * 1000 > REFRESH_MARGIN_MS)) {
    throw new RangeError(`token lifetime must exceed the ${REFRESH_MARGIN_MS / 1000} s refresh margin (got ${o.tokenLifetimeS})`);
  }
  if (!(Number.isSafeInteger(o.noiseRuns) && o.noiseRuns >= 2)) throw new RangeError(`noise runs must be a whole number ≥ 2 (got ${o.noiseRuns})`);
  if (o.workers > 32) throw new RangeError(`at most 32 workers (got ${o.workers})`);
  const pool = o.memcachedPool ?? 1;
  if (!(Number.isSafeInteger(pool) && pool >= 1 && pool <= MAX_MEMCACHED_POOL)) {
    throw new RangeError(`memcached pool must be a whole number of servers from 1 to ${MAX_MEMCACHED_POOL} (got ${pool})`);
  }
  const usesMemcached = o.designs.some((d) => o.catalog?.get(d)?.needs?.includes('memcached'));
  if (pool > 1 && o.catalog && !usesMemcached) throw new RangeError(`a memcached pool needs a design that uses memcached (designs: ${o.designs.join(', ')})`);
  if (o.killServerAt !== undefined) {
    if (!(Number.isFinite(o.killServerAt) && o.killServerAt > 0 && o.killServerAt < 1)) {
      throw new RangeError(`kill-server-at must be a fraction of the run between 0 and 1, exclusive (got ${o.killServerAt})`);
    }
    if (pool < 2) throw new RangeError('killing a server needs a memcached pool of at least 2 servers (the survivor takes its keys)');
  }
}

/** The accelerated clock: virtual(t) = origin + (t − origin) × speedup. */
export function simClock(origin: number, speedup: number) {
  return { origin, speedup, now: () => origin + (Date.now() - origin) * speedup };
}

/**
 * The W notifier processes, started once and reused for every design (each design gets fresh caches and a
 * fresh clock in the same processes: it saves ~1 s of tsx start-up per design). Each is a child of the one
 * supervision helper the bench's workers use (src/measure/child.ts): tracked by PID, so Ctrl-C or a crash of the
 * parent kills it too, and a worker that dies is reported with the bench's exit reason (signal, out of memory,
 * or its exit code and last stderr line).
 */
export interface Pool {
  workers: Array<Supervised<SimParentMessage, SimWorkerMessage>>;
  /** every worker's next message, which must be of `type`; rejects on a worker's error or exit, or after ms */
  collect<T extends SimWorkerMessage['type']>(type: T, ms: number, what: string): Promise<Array<Extract<SimWorkerMessage, { type: T }>>>;
  close(): Promise<void>;
}

export function startPool(count: number, pids: number[]): Pool {
  const workers = Array.from({ length: count }, () => {
    const w = supervise<SimParentMessage, SimWorkerMessage>({ kind: 'fork', module: WORKER, execArgv: ['--import', 'tsx'], env: workerEnv() });
    if (w.pid) pids.push(w.pid);
    return w;
  });
  const expect = async <T extends SimWorkerMessage['type']>(w: Supervised<SimParentMessage, SimWorkerMessage>, index: number, type: T) => {
    const m = await w.next().catch((err: Error) => {
      throw new Error(`worker ${index}: ${err.message}`);
    });
    if (m.type === 'error') throw new Error(`worker ${m.worker}: ${m.message}`);
    if (m.type !== type) throw new Error(`worker ${index}: sent ${m.type} where ${type} was due`);
    return m as Extract<SimWorkerMessage, { type: T }>;
  };
  return {
    workers,
    async collect(type, ms, what) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} took longer than ${Math.round(ms / 1000)} s`)), ms);
      });
      try {
        return await Promise.race([Promise.all(workers.map((w, i) => expect(w, i, type))), late]);
      } catch (err) {
        throw new Error(`simulation: ${(err as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      for (const w of workers) w.send({ type: 'exit' });
      // a worker that does not leave within 5 s is killed; either way none outlives the simulation
      const deadline = setTimeout(() => workers.forEach((w) => w.kill()), 5000);
      await Promise.all(workers.map((w) => w.exited));
      clearTimeout(deadline);
    },
  };
}

const KEY_PREFIX = 'kcb:sim:';

/**
 * A store the workers share, as a deployment shares it: one private server, or for memcached with a pool of N a
 * list of N private servers the clients hash keys over, failing over from a dead one to the next.
 */
export interface SharedStore {
  location: StoreLocation;
  servers: PrivateStore[];
  stop(): Promise<void>;
}

export async function openStore(id: StoreId, memcachedPool: number, pids: number[]): Promise<SharedStore> {
  const driver = storeDriver(id);
  const count = id === 'memcached' ? memcachedPool : 1;
  const servers: PrivateStore[] = [];
  const stop = async () => {
    for (const s of servers) await s.stop();
  };
  try {
    for (let i = 0; i < count; i++) {
      const server = await driver.startPrivate(KEY_PREFIX);
      servers.push(server);
      pids.push(server.pid);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const location: StoreLocation = count === 1 ? servers[0].location
    : { servers: servers.map((s) => s.location.socketPath!), keyPrefix: KEY_PREFIX, failover: true };
  return { location, servers, stop };
}

interface DesignRun {
  pool: Pool;
  ks: StandIn;
  trustIds: string[];
  warmupTrustId: string;
  /** one store per store the simulated designs need, opened once (memcached with a kill: once per design) */
  stores: Map<StoreId, SharedStore>;
  /** every process started, store servers included */
  pids: number[];
  /** the sealing key all workers of redis-handle-encrypted share */
  sealKey: string;
  catalog: SimCatalog;
  speedup: number;
  setStandInClock: (now: () => number) => void;
  note?: (line: string) => void;
}

async function runDesign(design: SimDesign, o: SimOptions, run: DesignRun): Promise<SimDesignResult> {
  const { pool, ks } = run;
  const t0 = Date.now();
  // each design starts its own accelerated clock, at the real time it starts
  const clock = simClock(t0, run.speedup);
  run.setStandInClock(clock.now);
  const spec: StreamSpec = {
    trusts: o.trusts, workers: o.workers, notificationsPerTrustPerPeriod: o.notificationsPerTrustPerPeriod,
    periods: o.periods, stream: o.stream, routing: o.routing, seed: o.seed,
  };
  const model = modelDesignOf(design, run.catalog);
  const needs = run.catalog.get(design)?.needs ?? [];
  // A run that kills a server gives each memcached design a fresh pool: the previous design's lost one
  const killing = o.killServerAt !== undefined && needs.includes('memcached');
  const fresh = killing ? await openStore('memcached', o.memcachedPool, run.pids) : undefined;
  try {
    return await streamDesign(design, o, run, { t0, clock, spec, model, needs, fresh });
  } finally {
    await fresh?.stop();
  }
}

async function streamDesign(
  design: SimDesign, o: SimOptions, run: DesignRun,
  d: { t0: number; clock: ReturnType<typeof simClock>; spec: StreamSpec; model: Design; needs: StoreId[]; fresh?: SharedStore },
): Promise<SimDesignResult> {
  const { pool, ks } = run;
  const { t0, clock, spec, model, needs, fresh } = d;
  const storeOf = (id: StoreId) => (id === 'memcached' && fresh ? fresh : run.stores.get(id)!);
  pool.workers.forEach((child, w) => child.send({
    type: 'init', worker: w, design, module: run.catalog.get(design)?.module, trustIds: run.trustIds, warmupTrustId: run.warmupTrustId, spec, periodMs: o.periodMs,
    clock: { origin: clock.origin, speedup: clock.speedup },
    ctx: {
      keystone: { authUrl: ks.authUrl, username: ks.trustee.username, password: ks.trustee.password, userDomainName: ks.trustee.userDomainName },
      timeoutMs: 10_000,
      retries: 2,
      stores: Object.fromEntries(needs.map((id) => [id, storeOf(id).location])),
      // every worker must be able to open what another sealed: one key for the whole shared cache
      secret: run.sealKey,
    },
  } satisfies SimParentMessage));
  const ready = await pool.collect('ready', 60_000, `${design}: worker start-up`);
  const storeServers = ready.find((m) => m.storeServers)?.storeServers;
  // tokens are counted from here: the warm-up's are not part of the stream
  const baseline = ks.tokensIssued();
  const startAt = Date.now() + 250;
  for (const child of pool.workers) child.send({ type: 'go', startAt });
  // --kill-server-at: the pool's first server dies (SIGKILL, by the PID we started it with) while the stream runs
  const victim = fresh?.servers[0];
  let killedAt: number | undefined;
  const kill = () => {
    if (!victim || killedAt !== undefined) return;
    process.kill(victim.pid, 'SIGKILL');
    killedAt = Date.now();
    run.note?.(`${design}: killed memcached ${victim.location.socketPath} (pid ${victim.pid}) at ${((killedAt - startAt) / o.periodMs).toFixed(2)} P`);
  };
  const killTimer = victim ? setTimeout(kill, startAt + o.killServerAt! * (o.periods + 1) * o.periodMs - Date.now()) : undefined;
  let done: SimWorkerDone[];
  try {
    done = await pool.collect('done', (o.periods + 1) * o.periodMs + 60_000, `${design}: the stream`);
  } finally {
    clearTimeout(killTimer);
  }
  // a stream that ended before its kill time loses the server after its last notification: nothing to re-mint
  kill();
  const issued = ks.tokensIssued() - baseline;

  const results = done.sort((a, b) => a.worker - b.worker);
  const expected = expectedTokens({
    design: model, trusts: o.trusts, workers: o.workers, notificationsPerTrustPerPeriod: o.notificationsPerTrustPerPeriod,
    periods: o.periods, stream: o.stream, routing: o.routing,
  });
  const replay = replayTokens(spec, model);
  const noise = replayNoise(spec, model, o.noiseRuns);
  const worst = (i: 0 | 1 | 2) => Math.max(...results.map((r) => r.lagMs[i]));
  const concurrentMints = model === 'shared' ? overlappingMints(results) : 0;
  let loss: SimServerLoss | undefined;
  if (victim && killedAt !== undefined) {
    const atPeriods = (killedAt - startAt) / o.periodMs;
    const lost = storeServers
      ? new Set(storeServers.flatMap((server, trust) => (server === victim.location.socketPath ? [trust] : [])))
      : undefined;
    const replayed = lost ? replayTokens(spec, model, { at: atPeriods, trusts: lost } satisfies StoreLoss) : undefined;
    const withLoss = replayed ? replayed.tokens : null;
    const singleFlight = issued - concurrentMints;
    loss = {
      poolSize: fresh!.servers.length,
      server: { pid: victim.pid, socketPath: victim.location.socketPath! },
      atFraction: o.killServerAt!,
      atPeriods,
      trustsOnServer: lost ? lost.size : null,
      replayWithLoss: withLoss,
      earlyRemints: replayed?.earlyRemints ?? null,
      predictedExtra: withLoss === null ? null : withLoss - replay.tokens,
      extraVsReplay: singleFlight - replay.tokens,
      extraVsModel: singleFlight - expected.tokens,
    };
  }
  return {
    design, model,
    notifications: results.reduce((a, r) => a + r.handled, 0),
    expected, replay: { tokens: replay.tokens, entriesPerWorker: replay.entriesPerWorker },
    noiseSd: noise.sd,
    tokensIssued: issued,
    tokensObtained: results.reduce((a, r) => a + r.tokensObtained, 0),
    deviation: expected.tokens > 0 ? (issued - expected.tokens) / expected.tokens : 0,
    z: noise.sd > 0 ? (issued - expected.tokens) / noise.sd : null,
    // per-worker caches mint for the same trust at the same time by design; only a shared store double-mints
    concurrentMints,
    entriesPerWorker: results.map((r) => r.entries),
    lagMs: [worst(0), worst(1), worst(2)],
    errors: results.reduce((a, r) => a + r.errors, 0),
    firstError: results.find((r) => r.firstError)?.firstError,
    workerPids: pool.workers.map((c) => c.pid!).filter(Boolean),
    ...(loss ? { loss } : {}),
    wallMs: Date.now() - t0,
  };
}

/** The node designs a simulation can run, from their modules (plus the user's). */
export async function builtinCatalog(userModules: string[] = []): Promise<SimCatalog> {
  const { designs } = await loadDesigns(userModules, BUILTIN_MODULES.filter((f) => !f.endsWith('.py')));
  return new Map(designs.filter((d) => d.runtime === 'node').map((d) => [d.id, d]));
}

export async function runSimulation(options: SimOptions): Promise<SimResult> {
  const catalog = options.catalog ?? await builtinCatalog();
  validateSimOptions({ ...options, catalog });
  const t0 = Date.now();
  const { note, ...opts } = options;
  const usablePeriodS = opts.tokenLifetimeS - REFRESH_MARGIN_MS / 1000;
  const speedup = (usablePeriodS * 1000) / opts.periodMs;
  const pids: number[] = [];
  // The stand-in's clock: the accelerated clock of the design being run (real time between designs).
  let standInNow: () => number = Date.now;
  const setStandInClock = (now: () => number) => (standInNow = now);
  const ks = await startStandIn({ trusts: opts.trusts + 1, tokenLifetimeS: opts.tokenLifetimeS, now: () => standInNow() });
  const stores = new Map<StoreId, SharedStore>();
  let pool: Pool | undefined;
  const results: SimDesignResult[] = [];
  try {
    for (const id of new Set(opts.designs.flatMap((d) => catalog.get(d)?.needs ?? []))) {
      // a run that kills a memcached server opens a fresh pool for each design (runDesign)
      if (id === 'memcached' && opts.killServerAt !== undefined) continue;
      stores.set(id, await openStore(id, opts.memcachedPool ?? 1, pids));
    }
    pool = startPool(opts.workers, pids);
    const [warmupTrustId, ...trustIds] = ks.trustIds;
    const run: DesignRun = {
      pool, ks, trustIds, warmupTrustId, stores, pids, speedup, setStandInClock, sealKey: randomBytes(32).toString('base64'), catalog, note,
    };
    for (const design of opts.designs) {
      note?.(`${design}: ${opts.workers} workers, ${opts.trusts} trusts, ${opts.periods} + 1 periods of ${opts.periodMs} ms`);
      results.push(await runDesign(design, options, run));
      setStandInClock(Date.now);
    }
  } finally {
    await pool?.close();
    for (const s of stores.values()) await s.stop();
    await ks.close();
  }
  return { options: opts, speedup, refreshMarginS: REFRESH_MARGIN_MS / 1000, usablePeriodS, designs: results, pids, wallMs: Date.now() - t0 };
}
