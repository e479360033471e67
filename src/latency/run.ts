// Times each latency task with tinybench (fixed time budget per task, warm-up first) and keeps the statistics
// the results need: mean, p50, p99 and the relative margin of error.
import { Bench } from 'tinybench';
import type { LatencyResult } from '../results/schema.ts';
import type { KeystoneEnv } from '../keystone/env.ts';
import type { StoreId, StoreLocation } from '../designs/contract.ts';
import type { DesignDescriptor } from '../designs/descriptor.ts';
import type { ExternalStore } from '../stores/index.ts';
import { openStore, type OpenStore } from '../stores/open.ts';
import { redact } from '../util/redact.ts';
import { designTasks, noCacheTask, type LatencyTask } from './tasks.ts';
import { pythonDesignsLatency, type PythonLatencyJob } from './python.ts';
import { errorLine } from '../util/text.ts';

export interface LatencyOptions {
  /** stores the user owns, used instead of private servers; this run's keys are deleted afterwards */
  externalStores: Partial<Record<StoreId, ExternalStore>>;
  keyPrefix: string;
  /** per Keystone or store request, ms, and extra attempts after a 5xx or timeout: as in the memory phase */
  timeoutMs: number;
  retries: number;
  /** per task, ms */
  timeMs?: number;
  /** trusts cycled through by each task */
  trusts?: number;
  note?: (text: string) => void;
}

/** Fresh trusts per python design for its first misses: enough for a mean, few to create on a real Keystone. */
const PYTHON_MISSES = 60;
/**
 * Entries a python design's hits cycle over: a hit is a lookup and a token check whatever the cache holds, and
 * each entry is a token request to create first (a few ms for the libraries' clients).
 */
const PYTHON_HITS = 50;

export async function runLatency(keystone: KeystoneEnv, designs: DesignDescriptor[], opts: LatencyOptions): Promise<LatencyResult[]> {
  const trustIds = await keystone.trustIds(opts.trusts ?? 200);
  // one store of each kind for every design's tasks, opened when a design first needs it
  const opened = new Map<StoreId, OpenStore>();
  const closers: Array<() => Promise<void>> = [];
  const results: LatencyResult[] = [];
  const storeOf = async (id: StoreId): Promise<StoreLocation> => {
    let s = opened.get(id);
    if (!s) opened.set(id, (s = await openStore(id, { external: opts.externalStores[id], keyPrefix: opts.keyPrefix, timeoutMs: opts.timeoutMs })));
    return s.location;
  };
  try {
    const base = { keystone: keystone.target, timeoutMs: opts.timeoutMs, retries: opts.retries };
    const tasks: LatencyTask[] = [noCacheTask(base, trustIds)];
    for (const d of designs) {
      if (d.runtime !== 'node') continue; // python designs: timed in a python process of their own, below
      // One design that cannot set up (a store gone, Keystone refusing) must not cost the others their timings.
      try {
        const stores: Partial<Record<StoreId, StoreLocation>> = {};
        for (const s of d.needs) stores[s] = await storeOf(s);
        const { tasks: own, close } = await designTasks(d, { ...base, stores }, trustIds);
        tasks.push(...own);
        closers.push(close);
      } catch (err) {
        opts.note?.(redact(`latency: ${d.id} skipped: ${errorLine(err)}`));
      }
    }
    opts.note?.(`timing ${tasks.length} operations with tinybench…`);
    const bench = new Bench({ time: opts.timeMs ?? 300, warmupTime: 100, throws: false });
    for (const t of tasks) bench.add(t.name, t.fn);
    await bench.run();
    for (const t of tasks) {
      const r = bench.getTask(t.name)?.result;
      if (!r || r.state !== 'completed') {
        opts.note?.(redact(`latency: ${t.name} did not complete${r && 'error' in r ? `: ${(r.error as Error).message}` : ''}`));
        continue;
      }
      results.push({
        name: t.name,
        design: t.design,
        meanMs: r.latency.mean,
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        rme: r.latency.rme,
        samples: r.latency.samplesCount,
        opsPerSec: r.throughput.mean,
      });
    }
    // after tinybench, one at a time: a python process timing beside it would slow both. Each python design's
    // misses get trusts of their own, used once (a shared design finds a trust it has seen in its store)
    const python = designs.filter((x) => x.runtime === 'python');
    const hits = trustIds.length;
    const all = python.length ? await keystone.trustIds(hits + python.length * PYTHON_MISSES) : [];
    const jobs: PythonLatencyJob[] = [];
    for (const [i, d] of python.entries()) {
      try {
        const stores: Partial<Record<StoreId, StoreLocation>> = {};
        for (const s of d.needs) stores[s] = await storeOf(s);
        jobs.push({ design: d, trustIds: trustIds.slice(0, PYTHON_HITS), missTrustIds: all.slice(hits + i * PYTHON_MISSES, hits + (i + 1) * PYTHON_MISSES), stores });
      } catch (err) {
        opts.note?.(redact(`latency: ${d.id} skipped: ${errorLine(err)}`));
      }
    }
    if (jobs.length) opts.note?.(`timing ${jobs.map((j) => j.design.id).join(', ')} in python…`);
    for (const r of await pythonDesignsLatency(jobs, { ...base, timeMs: opts.timeMs ?? 300 })) {
      if ('rows' in r) results.push(...r.rows);
      else opts.note?.(redact(`latency: ${r.design} skipped: ${r.error}`));
    }
  } finally {
    for (const close of closers) await close().catch(() => {});
    for (const s of opened.values()) await s.close();
  }
  return results;
}
