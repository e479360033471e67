// One sample = one fresh process: build n entries of one design and measure, nothing else. Started by
// src/measure/runner.ts with --expose-gc; talks to the parent over IPC only.
import { tokensObtained } from '../src/keystone/auth.ts';
import { designById } from '../src/designs/index.ts';
import { buildEntries } from '../src/measure/build.ts';
import { readMemory, settleGc } from '../src/measure/gc.ts';
import type { ParentMessage, StartMessage, WorkerMessage } from '../src/measure/protocol.ts';

const send = (m: WorkerMessage) => new Promise<void>((resolve) => process.send!(m, () => resolve()));

/** Held at module level so nothing can collect the entries before the parent has taken its readings. */
let held: unknown[] = [];
/** Set once the n-dependent work starts: a failure before it (Keystone, Redis) does not depend on n. */
let building = false;

async function run(start: StartMessage): Promise<void> {
  const info = designById(start.design);
  if (!info?.load) throw new Error(`unknown node design ${start.design}`);
  const design = await (await info.load())(start.ctx);
  const [warmupTrust, ...trustIds] = start.trustIds;

  // Warm-up: as many concurrent creates as the build will run (all with the warm-up trust) load lazy modules,
  // JIT the hot paths and open every connection of the shared pools, so none of that lands in the n > 0 samples.
  const warm = await Promise.all(Array.from({ length: start.concurrency }, () => design.create(warmupTrust)));
  await design.token(warm[0]);
  warm.length = 0;
  // An existing Redis (--redis-url) holds other data too: read its used_memory now so the parent can record the
  // growth during this sample only. Read before settling the heap, so the reading's garbage is collected.
  const redisBaseline = start.ctx.redis?.url && design.serverUsedMemory ? await design.serverUsedMemory() : undefined;
  await settleGc();
  const baseline = readMemory();

  const t0 = performance.now();
  building = true;
  held = await buildEntries(design, trustIds.slice(0, start.n), start.concurrency);
  const buildMs = performance.now() - t0;

  const gcRounds = await settleGc();
  const memory = readMemory();
  const redisUsedMemory = design.serverUsedMemory ? await design.serverUsedMemory() : undefined;
  await send({ type: 'reading', baseline, memory, redisUsedMemory, redisUsedMemoryBaseline: redisBaseline, buildMs, gcRounds, tokens: tokensObtained() });
}

process.on('message', (msg: ParentMessage) => {
  if (msg.type === 'start') {
    run(msg).catch(async (err: Error) => {
      await send({ type: 'error', message: err.message.split('\n')[0], setup: !building });
      process.exit(1);
    });
  } else if (msg.type === 'release') {
    // The parent has its readings; the entries can go with the process.
    if (held.length < 0) console.log(held);
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(1));
