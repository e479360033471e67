// One notifier worker of the token simulation (src/simulate/run.ts): the real cache design, fed the
// notifications the parent hands it, one at a time (a single consumer: within a worker, a trust's misses never
// overlap), each at its scheduled instant on the virtual clock: the design's clock reads that instant. Its cache
// of entries follows the run's eviction policy (src/model/sim-stream.ts EvictingCache, the replay's own rule).
// Talks to the parent over IPC only (src/simulate/protocol.ts); runs as the bundle of src/simulate/worker-bundle.ts.
import { tokensObtained } from '../keystone/auth.ts';
import { KeystoneV3Client } from '../keystone/client.ts';
import type { CacheInstance, DesignContext, NodeDesignModule } from '../designs/contract.ts';
import { makeContext } from '../worker/node/context.ts';
import { EvictingCache } from '../model/sim-stream.ts';
import type { SimParentMessage, SimInitMessage, SimWorkerMessage } from './protocol.ts';

const send = (m: SimWorkerMessage) => new Promise<void>((resolve) => process.send!(m, () => resolve()));

/** What the worker does with one notification: get a usable token for the trust (and nothing else). */
export interface Handler {
  /** `t`: the instant in usable periods, for the cache's eviction policy */
  token(trust: number, t: number): Promise<void>;
  /** one token for a trust outside the stream, not cached */
  warm(trustId: string): Promise<void>;
  /** entries held at instant t (usable periods) */
  entries(t?: number): number;
  /** store designs over a pool: the server a trust's record hashes to */
  storeServer?(trustId: string): string;
  close(): Promise<void>;
}

let init: SimInitMessage | undefined;
let handler: Handler | undefined;
let designs: DesignsByFile = {};
/** the virtual instant of the notification being handled: what the design's clock reads */
let now = 0;
let run = { handled: 0, errors: 0, firstError: undefined as string | undefined, mints: [] as number[], tokens: 0 };

/** What a handler is built from: the design, the stream's trusts, and its cache's eviction policy. */
export type HandlerSpec = Pick<SimInitMessage, 'design' | 'module' | 'trustIds' | 'topology' | 'eviction'>;

/** The run's design modules, by file (the worker's bundle loaded them). */
export type DesignsByFile = Readonly<Record<string, NodeDesignModule>>;

/** The design's handler, on whatever clock `ctx` carries (also the real-time replay's, src/keystone-load/replay-worker.ts). */
export async function makeHandler(m: HandlerSpec, ctx: DesignContext, designs: DesignsByFile): Promise<Handler> {
  if (m.design === 'no-cache') {
    // The notifier as it was: a new client, hence a new token, for every notification.
    const once = async (trustId: string) => {
      const client = new KeystoneV3Client(ctx.keystone, trustId, { timeoutMs: ctx.timeoutMs, retries: ctx.retries });
      try {
        await client.getToken(ctx.clock!.now());
      } finally {
        await client.close();
      }
    };
    return {
      token: (trust) => once(m.trustIds[trust]),
      warm: once,
      entries: () => 0,
      close: async () => {},
    };
  }
  if (!m.module) throw new Error(`design ${m.design} has no module`);
  const mod = designs[m.module];
  if (!mod) throw new Error(`design ${m.design}: its module is not in this worker`);
  const design: CacheInstance = await mod.open(ctx);
  const cache = new EvictingCache<unknown>(m.eviction, m.topology);
  // Shared-store designs attach to a trust without authenticating; the others authenticate in create().
  const open = (id: string) => (design.attach ? design.attach(id) : design.create(id));
  return {
    async token(trust, t) {
      const before = tokensObtained();
      let e = cache.get(trust, t);
      if (e === undefined) {
        e = { entry: await open(m.trustIds[trust]), minted: t, used: t };
        cache.set(trust, e);
      }
      e.used = t;
      await design.token(e.entry);
      // the entry's own token is the one the last mint in this call gave it
      if (tokensObtained() > before) e.minted = t;
    },
    async warm(trustId) {
      await design.token(await design.create(trustId));
    },
    entries: (t?: number) => cache.sizeAt(t ?? 0),
    ...(design.storeServer ? { storeServer: (trustId: string) => design.storeServer!(trustId) } : {}),
    close: () => design.close(),
  };
}

async function onInit(m: SimInitMessage): Promise<void> {
  // the same process runs the designs one after the other: drop the previous design's caches and connections
  await handler?.close().catch(() => {});
  handler = undefined;
  init = m;
  now = m.origin;
  run = { handled: 0, errors: 0, firstError: undefined, mints: [], tokens: 0 };
  // speedup 1: a store's TTL is handed over as virtual seconds, an hour of real time, longer than any run; the
  // designs check the record's own expiry against `now`
  const ctx = makeContext(m.ctx, { now: () => now, speedup: 1 });
  handler = await makeHandler(m, ctx, designs);
  // Warm-up with a trust outside the stream: loads lazy modules, opens the shared connection pools and JITs
  // the paths. The parent counts tokens from after the warm-up.
  await handler.warm(m.warmupTrustId);
  run.tokens = tokensObtained();
  const h = handler;
  const storeServers = m.worker === 0 && h.storeServer ? m.trustIds.map((id) => h.storeServer!(id)) : undefined;
  await send({ type: 'ready', worker: m.worker, pid: process.pid, ...(storeServers ? { storeServers } : {}) });
}

const periodsAt = (m: SimInitMessage, at: number) => (at - m.origin) / 1000 / m.secondsPerPeriod;

async function onStep(items: number[]): Promise<void> {
  const m = init!;
  const h = handler!;
  let errors = 0;
  let firstError: string | undefined;
  for (let k = 0; k + 1 < items.length; k += 2) {
    now = items[k];
    const trust = items[k + 1];
    const t = periodsAt(m, now);
    const began = Date.now();
    const had = tokensObtained();
    try {
      await h.token(trust, t);
    } catch (err) {
      errors++;
      firstError ??= (err as Error).message.split('\n')[0];
    }
    if (tokensObtained() > had) run.mints.push(trust, began, Date.now());
  }
  run.handled += items.length / 2;
  await send({ type: 'stepped', worker: m.worker, errors, ...(firstError ? { firstError } : {}) });
}

async function onFinish(at: number): Promise<void> {
  const m = init!;
  now = at;
  await send({
    type: 'done', worker: m.worker, handled: run.handled, tokensObtained: tokensObtained() - run.tokens,
    entries: handler!.entries(periodsAt(m, at)), mints: run.mints, errors: 0,
  });
}

const fail = async (err: Error) => {
  await send({ type: 'error', worker: init?.worker ?? -1, message: err.message.split('\n')[0] });
  process.exit(1);
};

/** Serves the parent's messages until it says exit (or goes away). */
export function serveSimulation(modules: DesignsByFile): void {
  designs = modules;
  process.on('message', (msg: SimParentMessage) => {
    if (msg.type === 'init') onInit(msg).catch(fail);
    else if (msg.type === 'step') onStep(msg.items).catch(fail);
    else if (msg.type === 'finish') onFinish(msg.at).catch(fail);
    else if (msg.type === 'exit') {
      const close = handler ? handler.close() : Promise.resolve();
      close.catch(() => {}).finally(() => process.exit(0));
    }
  });
  // The parent is gone: nothing left to report to.
  process.on('disconnect', () => process.exit(1));
}
