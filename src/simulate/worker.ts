// One notifier worker of the token simulation (src/simulate/run.ts): the real cache design, fed the
// notifications routed to this worker at their scheduled times on the accelerated clock, one at a time (a
// single consumer: within a worker, a trust's misses never overlap). Talks to the parent over IPC only
// (src/simulate/protocol.ts); started by worker-main.ts.
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { tokensObtained } from '../keystone/auth.ts';
import { KeystoneV3Client } from '../keystone/client.ts';
import type { CacheInstance, DesignContext, NodeDesignModule } from '../designs/contract.ts';
import { makeContext } from '../worker/node/context.ts';
import { workerNotifications } from '../model/sim-stream.ts';
import type { SimParentMessage, SimInitMessage, SimWorkerMessage } from './protocol.ts';

const send = (m: SimWorkerMessage) => new Promise<void>((resolve) => process.send!(m, () => resolve()));

/** What the worker does with one notification: get a usable token for the trust (and nothing else). */
interface Handler {
  token(trust: number): Promise<void>;
  /** one token for a trust outside the stream, not cached */
  warm(trustId: string): Promise<void>;
  entries(): number;
  /** store designs over a pool: the server a trust's record hashes to */
  storeServer?(trustId: string): string;
  close(): Promise<void>;
}

let init: SimInitMessage | undefined;
let handler: Handler | undefined;

async function makeHandler(m: SimInitMessage, ctx: DesignContext): Promise<Handler> {
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
  const mod = (await import(pathToFileURL(m.module).href)).default as NodeDesignModule;
  const design: CacheInstance = await mod.open(ctx);
  const cache = new Map<number, unknown>();
  // Shared-store designs attach to a trust without authenticating; the others authenticate in create().
  const open = (id: string) => (design.attach ? design.attach(id) : design.create(id));
  return {
    async token(trust) {
      let entry = cache.get(trust);
      if (entry === undefined) {
        entry = await open(m.trustIds[trust]);
        cache.set(trust, entry);
      }
      await design.token(entry);
    },
    async warm(trustId) {
      await design.token(await design.create(trustId));
    },
    entries: () => cache.size,
    ...(design.storeServer ? { storeServer: (trustId: string) => design.storeServer!(trustId) } : {}),
    close: () => design.close(),
  };
}

async function onInit(m: SimInitMessage): Promise<void> {
  // the same process runs the designs one after the other: drop the previous design's caches and connections
  await handler?.close().catch(() => {});
  handler = undefined;
  init = m;
  const { origin, speedup } = m.clock;
  const ctx = makeContext(m.ctx, { now: () => origin + (Date.now() - origin) * speedup, speedup });
  if (m.clock.keystoneRealTime) {
    const authenticate = ctx.authenticate;
    ctx.authenticate = async (trustId, opts) => {
      const r = await authenticate(trustId, opts);
      return { ...r, expiresAt: ctx.now() + (r.expiresAt - Date.now()) };
    };
  }
  handler = await makeHandler(m, ctx);
  // Warm-up with a trust outside the stream: loads lazy modules, opens the shared connection pools and JITs
  // the paths, so the first notifications are not late. The parent counts tokens from after the warm-up.
  await handler.warm(m.warmupTrustId);
  const h = handler;
  const storeServers = m.worker === 0 && h.storeServer ? m.trustIds.map((id) => h.storeServer!(id)) : undefined;
  await send({ type: 'ready', worker: m.worker, pid: process.pid, ...(storeServers ? { storeServers } : {}) });
}

async function onGo(startAt: number, stopAt?: number): Promise<void> {
  const m = init!;
  const h = handler!;
  const mine = workerNotifications(m.spec, m.worker);
  const lags: number[] = [];
  const mints: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const before = tokensObtained();
  const latencies: number[] = [];
  let unhandled = 0;
  for (const x of mine) {
    const due = startAt + x.t * m.periodMs;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    if (stopAt !== undefined && Date.now() >= stopAt) {
      unhandled++;
      continue;
    }
    const began = Date.now();
    lags.push(began - due);
    const had = tokensObtained();
    try {
      await h.token(x.trust);
    } catch (err) {
      errors++;
      firstError ??= (err as Error).message.split('\n')[0];
    }
    if (tokensObtained() > had) mints.push(x.trust, began, Date.now());
    if (stopAt !== undefined) latencies.push(due - startAt, Date.now() - due);
  }
  lags.sort((a, b) => a - b);
  const q = (p: number) => (lags.length ? lags[Math.min(lags.length - 1, Math.floor(p * lags.length))] : 0);
  await send({
    type: 'done', worker: m.worker, handled: mine.length, tokensObtained: tokensObtained() - before, entries: h.entries(),
    lagMs: [q(0.5), q(0.99), lags.length ? lags[lags.length - 1] : 0], mints, errors, firstError,
    ...(stopAt !== undefined ? { latencies, unhandled } : {}),
  });
}

const fail = async (err: Error) => {
  await send({ type: 'error', worker: init?.worker ?? -1, message: err.message.split('\n')[0] });
  process.exit(1);
};

/** Serves the parent's messages until it says exit (or goes away). */
export function serveSimulation(): void {
  process.on('message', (msg: SimParentMessage) => {
    if (msg.type === 'init') onInit(msg).catch(fail);
    else if (msg.type === 'go') onGo(msg.startAt, msg.stopAt).catch(fail);
    else if (msg.type === 'exit') {
      const close = handler ? handler.close() : Promise.resolve();
      close.catch(() => {}).finally(() => process.exit(0));
    }
  });
  // The parent is gone: nothing left to report to.
  process.on('disconnect', () => process.exit(1));
}
