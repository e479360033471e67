// The node side of a sample: one fresh process, one design, readings as the held entries grow (see the message
// flow in src/worker/protocol.ts). It only builds and measures; the parent does everything else.
import { writeHeapSnapshot } from 'node:v8';
import type { CacheInstance, NodeDesignModule } from '../../designs/contract.ts';
import { tokensObtained } from '../../keystone/auth.ts';
import type { ParentMessage, StartMessage, WorkerMessage } from '../protocol.ts';
import { makeContext } from './context.ts';
import { readMemory, settleGc } from './settle.ts';
import { errorLine } from '../../util/text.ts';

/**
 * The entries live here and nowhere else. A class of its own, so a heap snapshot finds exactly them
 * (src/snapshot looks for this constructor name and its `entries` field).
 */
export class KcbHeldEntries {
  count = 0;
  constructor(public entries: unknown[]) {}
}

const send = (m: WorkerMessage) => new Promise<void>((resolve) => process.send!(m, () => resolve()));

/** Creates one entry per trust id with at most `concurrency` creations in flight, into slots from `at` on. */
async function build(cache: CacheInstance, trustIds: readonly string[], into: unknown[], at: number, concurrency: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < trustIds.length) {
      const i = next++;
      into[at + i] = await cache.create(trustIds[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, trustIds.length)) }, lane));
}

/** A holder whose array is already as long as it will get: its slots are in the n = 0 reading, not per entry. */
function sizedArray(capacity: number): unknown[] {
  // push() keeps fast elements; new Array(n) turns into a dictionary above ~100k slots.
  const a: unknown[] = [];
  for (let i = 0; i < capacity; i++) a.push(undefined);
  return a;
}

export function serveSamples(design: NodeDesignModule): void {
  let held: KcbHeldEntries | undefined;
  let cache: CacheInstance | undefined;
  let start: StartMessage | undefined;
  let building = false;
  let dispose: (() => Promise<void>) | undefined;
  let pad: number[] = [];

  const fail = async (err: unknown) => {
    await send({ type: 'error', message: errorLine(err), setup: !building });
    process.exit(1);
  };

  const handlers: { [K in ParentMessage['type']]: (m: Extract<ParentMessage, { type: K }>) => Promise<void> } = {
    async start(m) {
      start = m;
      const ctx = makeContext(m.ctx);
      dispose = ctx.dispose;
      cache = await design.open(ctx);
      held = new KcbHeldEntries(sizedArray(Math.max(m.capacity, m.warmup)));
      // 8 bytes per element of a small-integer array: the dither the parent chose for this trial
      pad = new Array<number>(Math.floor((m.padBytes ?? 0) / 8)).fill(0);
      await settleGc();
      await send({ type: 'ready', memory: readMemory() });
    },
    async grow(m) {
      building ||= !m.discard;
      const t0 = performance.now();
      await build(cache!, m.trustIds, held!.entries, held!.count, start!.concurrency);
      held!.count += m.trustIds.length;
      if (m.discard) {
        // The warm-up: every code path of a build and a token lookup has run (lazy modules loaded, functions
        // compiled, the pools' connections open), with distinct trusts as in the build; the entries go.
        await cache!.token(held!.entries[0]);
        held!.entries.fill(undefined);
        held!.count = 0;
      }
      const buildMs = performance.now() - t0;
      await settleGc();
      await send({ type: 'reading', n: held!.count, memory: readMemory(), buildMs, tokens: tokensObtained() });
    },
    async snapshot(m) {
      writeHeapSnapshot(m.path);
      await send({ type: 'snapshot-written' });
    },
    async release() {
      pad.length = 0;
      // The parent has its readings; the design's connections are closed so the process can end cleanly.
      await Promise.race([Promise.all([cache?.close(), dispose?.()]), new Promise((r) => setTimeout(r, 2000))]);
      process.exit(0);
    },
  };

  // One message at a time, in order: a grow never overlaps another.
  let queue = Promise.resolve();
  process.on('message', (m: ParentMessage) => {
    queue = queue.then(() => (handlers[m.type] as (x: ParentMessage) => Promise<void>)(m)).catch(fail);
  });
  process.on('disconnect', () => process.exit(1));
}
