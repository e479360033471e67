// The token model (src/model/tokens.ts) checked against the real code: W notifier worker processes, each running
// a real cache design against the embedded Keystone stand-in, fed a seeded stream of notifications over T trusts
// on an accelerated clock; the stand-in counts the tokens it issues. Per design, the count is set beside
//   - expectedTokens(): the model's expectation for this run size (the thing under test),
//   - the replay of the very same stream through the caching rule (src/model/sim-stream.ts): what the rule
//     mints for this realisation, so "simulated − replay" is what the code adds, free of sampling noise,
//   - the sampling noise of the count (sd of the replay over other seeds): how far from the expectation a
//     correct simulation of this size may land.
//
// The clock is virtual. Keystone's real constants are kept — token lifetime 3600 s, keystoneauth's 120 s refresh
// margin, so a usable period P = 3480 s — and every notification carries its scheduled time, rounded to a whole
// second of that clock. The parent hands the notifications out in time order, in batches in which no trust appears
// twice, and waits for each batch before the next; the stand-in issues a trust's token at the scheduled instant
// of that trust's notification in the batch. The designs compare expiries with the same instant
// (DesignContext.clock), and the stand-in prints expires_at in whole seconds, so a token minted at second m is
// refreshed exactly from second m + 3480.
// The token count is then a function of the stream alone, however busy the machine: a worker that is slow only
// makes the run longer. A store's own TTL keeps real time: on this clock it is an hour of real time, longer than
// any run, and the designs check the record's expiry against the virtual instant themselves.
//
// A trust is never in flight at two workers at once (its next notification waits for the next batch), so minting
// is single-flight as the model assumes: concurrentMints stays 0 unless a design mints twice on its own.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { REFRESH_MARGIN_MS } from '../keystone/auth.ts';
import { startStandIn, type StandIn } from '../keystone/standin.ts';
import type { StoreId, StoreLocation } from '../designs/contract.ts';
import { storeDriver } from '../stores/index.ts';
import type { PrivateStore } from '../stores/store.ts';
import type { DesignDescriptor } from '../designs/descriptor.ts';
import { BUILTIN_MODULES } from '../design-registry/builtin.ts';
import { loadDesigns } from '../design-registry/registry.ts';
import { supervise, type Supervised } from '../measure/child.ts';
import { workerEnv } from '../measure/runtimes.ts';
import { expectedTokens, type CacheKind, type RunExpectation } from '../model/tokens.ts';
import { allNotifications, replayNoise, replayTokens, validateStream, type Notification, type StoreLoss, type StreamSpec } from '../model/sim-stream.ts';
import { modelEarlyRemints, overlappingMints } from '../model/sim-agreement.ts';
import type { Eviction } from '../model/firing.ts';
import type { SimParentMessage, SimWorkerMessage } from './protocol.ts';
import { notifierWorkerBundle } from './worker-bundle.ts';

/** Designs the simulation can run: node design modules (built-in or --design-module), and the notifier without a cache. */
export const SIM_DESIGNS = ['no-cache', 'full-client', 'token-record', 'redis-handle', 'redis-handle-encrypted'] as const;
export type SimDesign = string;
export const DEFAULT_SIM_DESIGNS: SimDesign[] = ['full-client', 'token-record', 'redis-handle'];

/** The design modules a simulation can load, by id: their module and the topology their descriptor declares. */
export type SimCatalog = Map<string, Pick<DesignDescriptor, 'module' | 'topology' | 'needs'>>;

/** Which cache topology of the model a design is: from its descriptor. */
export function modelDesignOf(id: string, catalog: SimCatalog): CacheKind {
  if (id === 'no-cache') return 'none';
  const d = catalog.get(id);
  if (!d) throw new RangeError(`unknown design ${id}`);
  return d.topology;
}

export interface SimOptions extends StreamSpec {
  designs: SimDesign[];
  /** node design modules the designs are taken from (default: the built-in ones) */
  catalog?: SimCatalog;
  /** token lifetime on the virtual clock, whole seconds (Keystone's default 3600) */
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
  /** stops the run between instants (and the noise estimate between seeds): Ctrl-C in the CLI */
  signal?: AbortSignal;
}

/**
 * The default run. 24 notifications per trust per usable period is x = 6 per worker cache, where the renewal
 * model (x/(1+x) = 0.86 tokens per period) and the window bound (1 − e^−x = 0.998) differ by 16 %; 200 trusts
 * × 3 periods give ~2,350 per-worker tokens, whose sampling noise is ~0.3 % — so 1 % is > 3 sd.
 */
export const SIM_DEFAULTS: Omit<SimOptions, 'note' | 'signal'> = {
  designs: DEFAULT_SIM_DESIGNS,
  workers: 4,
  trusts: 200,
  notificationsPerTrustPerPeriod: 24,
  periods: 3,
  stream: 'poisson',
  routing: 'random',
  seed: 1,
  tokenLifetimeS: 3600,
  noiseRuns: 100,
  memcachedPool: 1,
};

/** At most this many private memcached servers in a simulated pool. */
export const MAX_MEMCACHED_POOL = 8;
/** Bounds of a run: every number a flag can set has one (a typo must not fill the memory or run for ever). */
export const SIM_BOUNDS = {
  workers: 32, trusts: 100_000, periods: 1000, rate: 10_000, noiseRuns: 10_000, lifetimeS: 7 * 86_400,
} as const;

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
  /** the model's expectation of those early re-mints (lost trusts × P(live token, notified again before it
   * expires)), in steady state; null when the stream has no steady-state formula */
  modelEarlyRemints: number | null;
  /** (simulated − dup) − replay: the extra tokens it did cost */
  extraVsReplay: number;
  /** (simulated − dup) − the model's expectation, which knows no failure */
  extraVsModel: number;
}

export interface SimDesignResult {
  design: SimDesign;
  model: CacheKind;
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
  errors: number;
  firstError?: string;
  workerPids: number[];
  /** --kill-server-at: the memcached server killed during this design's stream */
  loss?: SimServerLoss;
  /** the stream's eviction policy (the verdict's tolerance depends on it) */
  eviction?: Eviction;
  wallMs: number;
}

export interface SimResult {
  options: Omit<SimOptions, 'note' | 'signal' | 'catalog'>;
  refreshMarginS: number;
  usablePeriodS: number;
  designs: SimDesignResult[];
  /** every process the simulation started (workers, store servers), for "nothing left behind" checks */
  pids: number[];
  wallMs: number;
}

export function validateSimOptions(o: SimOptions): void {
  validateStream(o);
  const known = o.catalog ? ['no-cache', ...o.catalog.keys()] : [...SIM_DESIGNS];
  const bad = o.designs.filter((d) => !known.includes(d));
  if (!o.designs.length || bad.length) throw new RangeError(`designs must be some of ${known.join(', ')} (got ${bad.join(', ') || 'none'})`);
  if (!(Number.isSafeInteger(o.tokenLifetimeS) && o.tokenLifetimeS * 1000 > REFRESH_MARGIN_MS && o.tokenLifetimeS <= SIM_BOUNDS.lifetimeS)) {
    throw new RangeError(`token lifetime must be whole seconds, over the ${REFRESH_MARGIN_MS / 1000} s refresh margin and at most ${SIM_BOUNDS.lifetimeS} (got ${o.tokenLifetimeS})`);
  }
  if (o.secondsPerPeriod !== undefined && o.secondsPerPeriod !== o.tokenLifetimeS - REFRESH_MARGIN_MS / 1000) {
    throw new RangeError('seconds per period follow from the token lifetime');
  }
  if (!(Number.isSafeInteger(o.noiseRuns) && o.noiseRuns >= 2 && o.noiseRuns <= SIM_BOUNDS.noiseRuns)) {
    throw new RangeError(`noise runs must be a whole number from 2 to ${SIM_BOUNDS.noiseRuns} (got ${o.noiseRuns})`);
  }
  if (o.workers > SIM_BOUNDS.workers) throw new RangeError(`at most ${SIM_BOUNDS.workers} workers (got ${o.workers})`);
  if (o.trusts > SIM_BOUNDS.trusts) throw new RangeError(`at most ${SIM_BOUNDS.trusts} trusts (got ${o.trusts})`);
  if (o.periods > SIM_BOUNDS.periods) throw new RangeError(`at most ${SIM_BOUNDS.periods} periods (got ${o.periods})`);
  if (o.notificationsPerTrustPerPeriod > SIM_BOUNDS.rate) throw new RangeError(`a rate of at most ${SIM_BOUNDS.rate} per period (got ${o.notificationsPerTrustPerPeriod})`);
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

/** The virtual instant of a notification: the run's origin plus its time in whole seconds of the clock. */
export const virtualMs = (origin: number, t: number, secondsPerPeriod: number) => origin + Math.round(t * secondsPerPeriod) * 1000;

/** A worker's failure, which any pool's worker may send in place of its reply. */
export interface WorkerFailure {
  type: 'error';
  worker: number;
  message: string;
}

const failed = (m: { type: string }): m is WorkerFailure => m.type === 'error';

/**
 * The W notifier processes, started once and reused for every design (each design gets fresh caches and a
 * fresh clock in the same processes: one start-up per worker, not one per design). Each is a child of the one
 * supervision helper the bench's workers use (src/measure/child.ts): tracked by PID, so Ctrl-C or a crash of the
 * parent kills it too, and a worker that dies is reported with the bench's exit reason (signal, out of memory,
 * or its exit code and last stderr line).
 */
export interface Pool<In extends { type: string } = SimParentMessage, Out extends { type: string } = SimWorkerMessage> {
  workers: Array<Supervised<In | { type: 'exit' }, Out | WorkerFailure>>;
  /** every worker's next message, which must be of `type`; rejects on a worker's error or exit, or after ms */
  collect<T extends Out['type']>(type: T, ms: number, what: string): Promise<Array<Extract<Out, { type: T }>>>;
  /** one worker's next message, which must be of `type` */
  next<T extends Out['type']>(worker: number, type: T, what: string): Promise<Extract<Out, { type: T }>>;
  close(): Promise<void>;
}

/** `module`: the workers' entry (src/simulate/worker-bundle.ts: the simulation's or the replay's); `name` heads its errors. */
export function startPool<In extends { type: string } = SimParentMessage, Out extends { type: string } = SimWorkerMessage>(
  count: number, pids: number[], module: string, name = 'simulation',
): Pool<In, Out> {
  type Child = Supervised<In | { type: 'exit' }, Out | WorkerFailure>;
  const workers: Child[] = Array.from({ length: count }, () => {
    const w = supervise<In | { type: 'exit' }, Out | WorkerFailure>({ kind: 'fork', module, execArgv: [], env: workerEnv() });
    if (w.pid) pids.push(w.pid);
    return w;
  });
  const expect = async <T extends Out['type']>(w: Child, index: number, type: T) => {
    const m = await w.next().catch((err: Error) => {
      throw new Error(`worker ${index}: ${err.message}`);
    });
    if (failed(m)) throw new Error(`worker ${m.worker}: ${m.message}`);
    if (m.type !== type) throw new Error(`worker ${index}: sent ${m.type} where ${type} was due`);
    return m as Extract<Out, { type: T }>;
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
        throw new Error(`${name}: ${(err as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
    },
    async next(worker, type, what) {
      try {
        return await expect(workers[worker], worker, type);
      } catch (err) {
        throw new Error(`${name}: ${what}: ${(err as Error).message}`);
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
  /** the stand-in's clock: the instant a token for a trust is issued at */
  setStandInClock: (now: (trustId?: string) => number) => void;
  spec: StreamSpec;
  /** the stream in the order it is handed out, its replay and noise per model topology (computed once) */
  stream: Notification[];
  note?: (line: string) => void;
  signal?: AbortSignal;
}

async function runDesign(design: SimDesign, o: SimOptions, run: DesignRun): Promise<SimDesignResult> {
  const model = modelDesignOf(design, run.catalog);
  const needs = run.catalog.get(design)?.needs ?? [];
  // A run that kills a server gives each memcached design a fresh pool: the previous design's lost one
  const killing = o.killServerAt !== undefined && needs.includes('memcached');
  const fresh = killing ? await openStore('memcached', o.memcachedPool, run.pids) : undefined;
  try {
    return await streamDesign(design, o, run, { model, needs, fresh });
  } finally {
    await fresh?.stop();
  }
}

/** Waits until a process we killed is gone (or a zombie: its sockets are closed either way). */
async function gone(pid: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (/^\d+ \(.*\) Z/.test(stat)) return;
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

const aborted = (signal?: AbortSignal) => {
  if (signal?.aborted) throw new Error('simulation: interrupted');
};

/** Every worker of the pool gets the design, the trusts, the virtual clock's origin and the stores. */
function initWorkers(design: SimDesign, run: DesignRun, x: { origin: number; secondsPerPeriod: number; model: CacheKind; stores: Partial<Record<StoreId, StoreLocation>> }) {
  const { ks, spec } = run;
  run.pool.workers.forEach((child, w) => child.send({
    type: 'init', worker: w, design, module: run.catalog.get(design)?.module, trustIds: run.trustIds, warmupTrustId: run.warmupTrustId,
    origin: x.origin, secondsPerPeriod: x.secondsPerPeriod, topology: x.model === 'shared' ? 'shared' : 'per-worker', eviction: spec.eviction ?? { kind: 'none' },
    ctx: {
      keystone: { authUrl: ks.authUrl, username: ks.trustee.username, password: ks.trustee.password, userDomainName: ks.trustee.userDomainName },
      timeoutMs: 10_000,
      retries: 2,
      stores: x.stores,
      // every worker must be able to open what another sealed: one key for the whole shared cache
      secret: run.sealKey,
    },
  } satisfies SimParentMessage));
}

async function streamDesign(
  design: SimDesign, o: SimOptions, run: DesignRun, d: { model: CacheKind; needs: StoreId[]; fresh?: SharedStore },
): Promise<SimDesignResult> {
  const { pool, ks, spec, stream } = run;
  const { model, needs, fresh } = d;
  const t0 = Date.now();
  const secondsPerPeriod = spec.secondsPerPeriod!;
  // the virtual epoch of this design's run: a whole second, so Keystone's whole-second expiries are exact
  const origin = Math.floor(Date.now() / 1000) * 1000;
  const storeOf = (id: StoreId) => (id === 'memcached' && fresh ? fresh : run.stores.get(id)!);
  run.setStandInClock(() => origin);
  initWorkers(design, run, { origin, secondsPerPeriod, model, stores: Object.fromEntries(needs.map((id) => [id, storeOf(id).location])) });
  const ready = await pool.collect('ready', 60_000, `${design}: worker start-up`);
  const storeServers = ready.find((m) => m.storeServers)?.storeServers;
  // tokens are counted from here: the warm-up's are not part of the stream
  const baseline = ks.tokensIssued();
  // --kill-server-at: the pool's first server dies (SIGKILL, by the PID we started it with) at that instant
  const victim = fresh?.servers[0];
  const killAt = victim ? o.killServerAt! * (o.periods + 1) : Infinity;
  let killedAt: number | undefined;
  const kill = async (t: number) => {
    if (!victim || killedAt !== undefined) return;
    process.kill(victim.pid, 'SIGKILL');
    await gone(victim.pid);
    killedAt = t;
    run.note?.(`${design}: killed memcached ${victim.location.socketPath} (pid ${victim.pid}) at ${t.toFixed(2)} P`);
  };
  const errorsOf: Array<{ errors: number; firstError?: string }> = pool.workers.map(() => ({ errors: 0 }));
  // The stream goes out in batches in which no trust appears twice: the stand-in then knows the instant of any
  // token it is asked for (the one notification of that trust in the batch), and each worker handles its part of
  // the batch in time order. A batch never straddles the kill.
  const index = new Map(run.trustIds.map((id, i) => [id, i]));
  const instant = new Map<number, number>();
  let batchStart = origin;
  run.setStandInClock((trustId) => (trustId === undefined ? batchStart : instant.get(index.get(trustId) ?? -1) ?? batchStart));
  for (let i = 0; i < stream.length;) {
    aborted(run.signal);
    if (stream[i].t >= killAt) await kill(killAt);
    const beforeKill = stream[i].t < killAt;
    instant.clear();
    batchStart = virtualMs(origin, stream[i].t, secondsPerPeriod);
    const byWorker = new Map<number, number[]>();
    for (; i < stream.length && !instant.has(stream[i].trust) && (!beforeKill || stream[i].t < killAt); i++) {
      const x = stream[i];
      const at = virtualMs(origin, x.t, secondsPerPeriod);
      instant.set(x.trust, at);
      const list = byWorker.get(x.worker) ?? [];
      list.push(at, x.trust);
      byWorker.set(x.worker, list);
    }
    await Promise.all([...byWorker].map(async ([w, items]) => {
      pool.workers[w].send({ type: 'step', items });
      const m = await pool.next(w, 'stepped', `${design}: the stream`);
      if (m.errors) {
        errorsOf[w].errors += m.errors;
        errorsOf[w].firstError ??= m.firstError;
      }
    }));
  }
  const end = stream.length ? stream[stream.length - 1].t : 0;
  // a stream that ended before its kill time loses the server after its last notification: nothing to re-mint
  if (victim && killedAt === undefined) await kill(Math.max(end, killAt));
  for (const child of pool.workers) child.send({ type: 'finish', at: virtualMs(origin, end, secondsPerPeriod) });
  const done = await pool.collect('done', 60_000, `${design}: the end of the stream`);
  const issued = ks.tokensIssued() - baseline;

  const results = done.sort((a, b) => a.worker - b.worker);
  const expected = expectedTokens({
    design: model, trusts: o.trusts, workers: o.workers, notificationsPerTrustPerPeriod: o.notificationsPerTrustPerPeriod,
    periods: o.periods, stream: o.stream, routing: o.routing, firing: spec.firing, eviction: spec.eviction,
  });
  const replay = replayTokens(spec, model);
  run.note?.(`${design}: noise estimate, the stream replayed over ${o.noiseRuns} other seeds`);
  const noise = await replayNoise(spec, model, o.noiseRuns, run.signal);
  const concurrentMints = model === 'shared' ? overlappingMints(results) : 0;
  const loss = victim && killedAt !== undefined
    ? serverLoss({ o, spec, model, poolSize: fresh!.servers.length, victim, killedAt, end, storeServers, singleFlight: issued - concurrentMints, replay, expected })
    : undefined;
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
    errors: errorsOf.reduce((a, e) => a + e.errors, 0) + results.reduce((a, r) => a + r.errors, 0),
    firstError: errorsOf.find((e) => e.firstError)?.firstError ?? results.find((r) => r.firstError)?.firstError,
    workerPids: pool.workers.map((c) => c.pid!).filter(Boolean),
    ...(loss ? { loss } : {}),
    ...(spec.eviction ? { eviction: spec.eviction } : {}),
    wallMs: Date.now() - t0,
  };
}

/**
 * What losing the pool's first server cost, beside what the replay of the same stream and the model predict: the
 * trusts that hashed to it, its replay with the loss, and the early re-mints.
 */
function serverLoss(x: {
  o: SimOptions; spec: StreamSpec; model: CacheKind; poolSize: number; victim: PrivateStore; killedAt: number; end: number;
  storeServers?: string[]; singleFlight: number; replay: { tokens: number }; expected: { tokens: number };
}): SimServerLoss {
  const { o, spec, model, victim, killedAt, storeServers, replay, expected } = x;
  const lost = storeServers
    ? new Set(storeServers.flatMap((server, trust) => (server === victim.location.socketPath ? [trust] : [])))
    : undefined;
  const replayed = lost ? replayTokens(spec, model, { at: killedAt, trusts: lost } satisfies StoreLoss) : undefined;
  const withLoss = replayed ? replayed.tokens : null;
  return {
    poolSize: x.poolSize,
    server: { pid: victim.pid, socketPath: victim.location.socketPath! },
    atFraction: o.killServerAt!,
    atPeriods: killedAt,
    trustsOnServer: lost ? lost.size : null,
    replayWithLoss: withLoss,
    earlyRemints: replayed?.earlyRemints ?? null,
    predictedExtra: withLoss === null ? null : withLoss - replay.tokens,
    modelEarlyRemints: lost && killedAt < x.end ? modelEarlyRemints(spec, lost.size) : null,
    extraVsReplay: x.singleFlight - replay.tokens,
    extraVsModel: x.singleFlight - expected.tokens,
  };
}

/** The node designs a simulation can run, from their modules (plus the user's). */
export async function builtinCatalog(userModules: string[] = []): Promise<SimCatalog> {
  const { designs } = await loadDesigns(userModules, BUILTIN_MODULES.filter((f) => !f.endsWith('.py')));
  return new Map(designs.filter((d) => d.runtime === 'node').map((d) => [d.id, d]));
}

export async function runSimulation(options: SimOptions): Promise<SimResult> {
  const catalog = options.catalog ?? await builtinCatalog();
  const usablePeriodS = options.tokenLifetimeS - REFRESH_MARGIN_MS / 1000;
  validateSimOptions({ ...options, catalog, secondsPerPeriod: usablePeriodS });
  const t0 = Date.now();
  const { note, signal, catalog: _catalog, ...opts } = options;
  const spec: StreamSpec = {
    trusts: opts.trusts, workers: opts.workers, notificationsPerTrustPerPeriod: opts.notificationsPerTrustPerPeriod,
    periods: opts.periods, stream: opts.stream, routing: opts.routing, seed: opts.seed, secondsPerPeriod: usablePeriodS,
    ...(opts.firing ? { firing: opts.firing } : {}), ...(opts.eviction ? { eviction: opts.eviction } : {}),
  };
  const pids: number[] = [];
  let standInNow: (trustId?: string) => number = () => Date.now();
  const ks = await startStandIn({ trusts: opts.trusts + 1, tokenLifetimeS: opts.tokenLifetimeS, now: (trustId) => standInNow(trustId) });
  const stores = new Map<StoreId, SharedStore>();
  let pool: Pool | undefined;
  const results: SimDesignResult[] = [];
  try {
    for (const id of new Set(opts.designs.flatMap((d) => catalog.get(d)?.needs ?? []))) {
      // a run that kills a memcached server opens a fresh pool for each design (runDesign)
      if (id === 'memcached' && opts.killServerAt !== undefined) continue;
      stores.set(id, await openStore(id, opts.memcachedPool ?? 1, pids));
    }
    const modules = opts.designs.flatMap((d) => catalog.get(d)?.module ?? []);
    pool = startPool(opts.workers, pids, await notifierWorkerBundle('simulation', modules));
    const [warmupTrustId, ...trustIds] = ks.trustIds;
    const run: DesignRun = {
      pool, ks, trustIds, warmupTrustId, stores, pids, sealKey: randomBytes(32).toString('base64'), catalog, note, signal,
      setStandInClock: (now) => (standInNow = now), spec, stream: allNotifications(spec),
    };
    for (const design of opts.designs) {
      note?.(`${design}: ${opts.workers} workers, ${opts.trusts} trusts, ${run.stream.length} notifications over ${opts.periods} periods (virtual clock)`);
      results.push(await runDesign(design, options, run));
      standInNow = () => Date.now();
    }
  } finally {
    await pool?.close();
    for (const s of stores.values()) await s.stop();
    await ks.close();
  }
  return { options: opts, refreshMarginS: REFRESH_MARGIN_MS / 1000, usablePeriodS, designs: results, pids, wallMs: Date.now() - t0 };
}
