// One notifier worker of the real-time replay (src/keystone-load/replay.ts): the simulation's design handler
// (src/simulate/worker.ts makeHandler), driven by the wall clock instead of the simulation's virtual one. Each
// notification is handled at its due time, real ms after the start, or as soon as the worker is free if it is
// late: a real Keystone's capacity, backlog and latency are what is measured, so nothing waits for the slowest.
// The designs read an accelerated clock so tokens expire within the run.
import { setTimeout as sleep } from 'node:timers/promises';
import { tokensObtained } from '../keystone/auth.ts';
import { makeContext } from '../worker/node/context.ts';
import { workerNotifications } from '../model/sim-stream.ts';
import { makeHandler, type DesignsByFile, type Handler } from '../simulate/worker.ts';
import type { ReplayInitMessage, ReplayParentMessage, ReplayWorkerMessage } from './replay-protocol.ts';

const send = (m: ReplayWorkerMessage) => new Promise<void>((resolve) => process.send!(m, () => resolve()));

let init: ReplayInitMessage | undefined;
let handler: Handler | undefined;
let designs: DesignsByFile = {};

async function onInit(m: ReplayInitMessage): Promise<void> {
  // the same process runs the designs one after the other: drop the previous design's caches and connections
  await handler?.close().catch(() => {});
  handler = undefined;
  init = m;
  const { origin, speedup } = m.clock;
  const ctx = makeContext(m.ctx, { now: () => origin + (Date.now() - origin) * speedup, speedup });
  // Keystone's expires_at is on the real clock: the token's remaining lifetime, put on the notifiers' clock,
  // keeps notifications per token lifetime the scenario's
  const authenticate = ctx.authenticate;
  let viaCtx = 0;
  ctx.authenticate = async (trustId, opts) => {
    viaCtx++;
    const r = await authenticate(trustId, opts);
    return { ...r, expiresAt: ctx.now() + (r.expiresAt - Date.now()) };
  };
  handler = await makeHandler({ ...m, eviction: { kind: 'none' } }, ctx, designs);
  // loads lazy modules, opens the shared connection pools and JITs the paths, so the first notifications are
  // not late; tokens are counted from after it
  const before = tokensObtained();
  await handler.warm(m.warmupTrustId);
  // A design with a Keystone client of its own (full-client) keeps Keystone's real expiry and compares it with
  // this clock: its tokens would look expired within seconds. No cache never reuses a token, so it may.
  if (m.design !== 'no-cache' && tokensObtained() - before > viaCtx) {
    throw new Error(`${m.design} authenticates outside ctx.authenticate: its tokens' expiry cannot be put on the replay's clock`);
  }
  await send({ type: 'ready', worker: m.worker, pid: process.pid });
}

async function onGo(startAt: number, stopAt: number): Promise<void> {
  const m = init!;
  const h = handler!;
  const mine = workerNotifications(m.spec, m.worker);
  const mints: number[] = [];
  const latencies: number[] = [];
  let handled = 0;
  let unhandled = 0;
  let errors = 0;
  let firstError: string | undefined;
  const before = tokensObtained();
  for (const x of mine) {
    const due = startAt + x.t * m.periodMs;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    if (Date.now() >= stopAt) {
      unhandled++;
      continue;
    }
    const began = Date.now();
    const had = tokensObtained();
    try {
      await h.token(x.trust, x.t);
    } catch (err) {
      errors++;
      firstError ??= (err as Error).message.split('\n')[0];
    }
    handled++;
    if (tokensObtained() > had) mints.push(x.trust, began, Date.now());
    latencies.push(due - startAt, Date.now() - due);
  }
  await send({
    type: 'done', worker: m.worker, handled, unhandled, tokensObtained: tokensObtained() - before, mints, latencies, errors,
    ...(firstError ? { firstError } : {}),
  });
}

const fail = async (err: Error) => {
  await send({ type: 'error', worker: init?.worker ?? -1, message: err.message.split('\n')[0] });
  process.exit(1);
};

/** Serves the parent's messages until it says exit (or goes away). */
export function serveReplay(modules: DesignsByFile): void {
  designs = modules;
  process.on('message', (msg: ReplayParentMessage) => {
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
