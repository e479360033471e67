// The proof on the real Keystone: the post's scenario scaled down to this machine, replayed in real time by
// notifier workers of its own (src/keystone-load/replay-worker.ts: the token simulation's design handler, the
// designs' own code, and for no cache a new client per notification), on a clock `compression` times faster so
// tokens expire and are re-minted within the run. Keystone's tokens keep their lifetime; each one's remaining lifetime is put on the notifier's clock when it
// arrives, so the notifier sees tokens of Keystone's 3600 s on a clock where the evaluation interval is 60 s /
// compression — notifications per token lifetime stay the scenario's. A notification not begun when the stream
// ends is the backlog.
import { randomBytes } from 'node:crypto';
import { REFRESH_MARGIN_MS } from '../keystone/auth.ts';
import type { AuthTarget } from '../keystone/auth.ts';
import type { StoreId } from '../designs/contract.ts';
import type { StreamSpec } from '../model/sim-stream.ts';
import { openStore, startPool, type SharedStore, type SimCatalog } from '../simulate/run.ts';
import { notifierWorkerBundle } from '../simulate/worker-bundle.ts';
import type { ReplayParentMessage, ReplayWorkerDone, ReplayWorkerMessage } from './replay-protocol.ts';
import { overlappingMints } from '../model/sim-agreement.ts';
import { percentile } from './stats.ts';

export interface ReplayRun {
  design: string;
  notifications: number;
  handled: number;
  unhandled: number;
  tokens: number;
  /** mints of one trust by two workers at once (a shared store has no cross-worker lock) */
  concurrentMints: number;
  errors: number;
  firstError?: string;
  /** due → token ready, ms, of handled notifications */
  latenciesMs: number[];
  /** lateness p50 of notifications due in the first and in the second half of the stream, ms */
  lagHalvesMs: [number, number];
  /** real ms the stream was given (periods + 1 usable periods) */
  streamMs: number;
  wallMs: number;
}

export interface ReplayPlan {
  target: AuthTarget;
  trustIds: string[];
  warmupTrustId: string;
  designs: string[];
  catalog: SimCatalog;
  spec: StreamSpec;
  /** real ms of one usable token period */
  periodMs: number;
  /** how many times faster the notifiers' clock runs */
  compression: number;
  note?: (line: string) => void;
}

export async function runReplay(p: ReplayPlan): Promise<ReplayRun[]> {
  const pids: number[] = [];
  const stores = new Map<StoreId, SharedStore>();
  const modules = p.designs.flatMap((d) => p.catalog.get(d)?.module ?? []);
  const pool = startPool<ReplayParentMessage, ReplayWorkerMessage>(p.spec.workers, pids, await notifierWorkerBundle('replay', modules), 'replay');
  const out: ReplayRun[] = [];
  try {
    for (const id of new Set(p.designs.flatMap((d) => p.catalog.get(d)?.needs ?? []))) stores.set(id, await openStore(id, 1, pids));
    const sealKey = randomBytes(32).toString('base64');
    for (const design of p.designs) {
      const t0 = Date.now();
      const needs = p.catalog.get(design)?.needs ?? [];
      const topology = p.catalog.get(design)?.topology === 'shared' ? 'shared' : 'per-worker';
      pool.workers.forEach((child, w) => child.send({
        type: 'init', worker: w, design, module: p.catalog.get(design)?.module, topology, trustIds: p.trustIds, warmupTrustId: p.warmupTrustId,
        spec: p.spec, periodMs: p.periodMs, clock: { origin: t0, speedup: p.compression },
        ctx: {
          keystone: p.target, timeoutMs: 30_000, retries: 0,
          stores: Object.fromEntries(needs.map((id) => [id, stores.get(id)!.location])), secret: sealKey,
        },
      } satisfies ReplayParentMessage));
      await pool.collect('ready', 120_000, `${design}: worker start-up`);
      const streamMs = (p.spec.periods + 1) * p.periodMs;
      const startAt = Date.now() + 500;
      const stopAt = startAt + streamMs;
      p.note?.(`replay ${design}: ${p.spec.workers} notifier workers, ${p.spec.trusts} trusts, ${Math.round(streamMs / 1000)} s`);
      for (const child of pool.workers) child.send({ type: 'go', startAt, stopAt });
      const done: ReplayWorkerDone[] = await pool.collect('done', streamMs + 120_000, `${design}: the replay`);
      const pairs = done.flatMap((d) => d.latencies);
      const latenciesMs: number[] = [];
      const halves: [number[], number[]] = [[], []];
      for (let i = 0; i < pairs.length; i += 2) {
        latenciesMs.push(pairs[i + 1]);
        halves[pairs[i] < streamMs / 2 ? 0 : 1].push(pairs[i + 1]);
      }
      const handled = done.reduce((a, d) => a + d.handled, 0);
      const unhandled = done.reduce((a, d) => a + d.unhandled, 0);
      out.push({
        design, notifications: handled + unhandled, handled, unhandled,
        tokens: done.reduce((a, d) => a + d.tokensObtained, 0),
        concurrentMints: p.catalog.get(design)?.topology === 'shared' ? overlappingMints(done) : 0,
        errors: done.reduce((a, d) => a + d.errors, 0), firstError: done.find((d) => d.firstError)?.firstError,
        latenciesMs, lagHalvesMs: [percentile(halves[0], 0.5), percentile(halves[1], 0.5)], streamMs, wallMs: Date.now() - t0,
      });
    }
  } finally {
    await pool.close();
    for (const s of stores.values()) await s.stop();
  }
  return out;
}

/** keystoneauth's margin, in the scenario's seconds (the designs keep it; the clock is what is compressed). */
export const MARGIN_S = REFRESH_MARGIN_MS / 1000;
