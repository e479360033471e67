// The run plan: what `npm run bench` measures and with what, decided once from the flags and the designs'
// descriptors — each design's sizes, warm-up and heap limit, the trusts the run needs, the trial policy — and
// refused, with its prediction, when it would not fit in this machine's memory. Everything downstream (the
// campaign, the progress line, the results' metadata) reads it from here, so they cannot disagree.
import { totalmem } from 'node:os';
import type { DesignSet } from '../design-registry/registry.ts';
import type { DesignDescriptor } from '../designs/descriptor.ts';
import { storeDriver, type ExternalStore, type StoreId } from '../stores/index.ts';
import { formatBytes } from '../util/units.ts';
import { UsageError } from '../util/usage-error.ts';
import { sweepSizes, type Protocol } from './runs.ts';

/** The flags a plan is made of (the bench's options carry them). */
export interface PlanOptions {
  maxsize: number;
  /** largest N of python designs */
  pythonMaxsize: number;
  /** largest N of node designs planned at LARGE_ENTRY_BYTES or more */
  largeMaxsize: number;
  /** sizes read per worker; undefined: chosen per design */
  steps?: number;
  trials: number;
  minTrials: number;
  /** stop adding trials at this CI half-width, share of the slope */
  targetCi: number;
  protocol: Protocol;
  seed: number;
  /** creations before the first reading; undefined: chosen per design */
  warmup?: number;
  /** heap-snapshot cross-check of node designs at this N; 0: off */
  snapshotN: number;
  /** N of python designs' cross-check worker (tracemalloc and the object graph); 0: off */
  pythonSnapshotN: number;
  /** design ids asked for; undefined: every design */
  designs?: string[];
  /** workers measured at once */
  jobs: number;
  /** V8 old-space limit of node workers, MB, by design id ("*": every node design) */
  workerMaxOldSpace?: Record<string, number>;
  externalStores: Partial<Record<StoreId, ExternalStore>>;
}

export interface TrialPolicy {
  min: number;
  max: number;
  /** stop adding trials once the deciding slope's 95 % CI half-width is at most this share of the slope */
  targetRelHalfWidth: number;
}

export interface DesignPlan {
  descriptor: DesignDescriptor;
  /** sizes its workers are read at, ascending */
  sizes: number[];
  /** creations each worker runs before its first reading */
  warmup: number;
  /** V8 old-space limit of its node workers, MB */
  maxOldSpaceMb?: number;
}

export interface RunPlan {
  designs: DesignPlan[];
  /** every design id the results list: the ones asked for, or every design known (unavailable ones too) */
  listed: string[];
  /** distinct trusts the run needs: no two entries of a worker share one */
  trusts: number;
  trials: TrialPolicy;
  protocol: Protocol;
  seed: number;
  /** N of the heap-snapshot cross-check of node designs; 0: off */
  snapshotN: number;
  /** N of python designs' cross-check worker; 0: off */
  pythonSnapshotN: number;
}

/** An entry planned at this size or more is "large": few readings, and (node) its own largest N. */
export const LARGE_ENTRY_BYTES = 4096;

/**
 * Sizes read per worker. A settled heap reading scatters by well under 1 KB about its trial's line, so a small
 * entry's heap slope is precise with few readings; RSS scatters by 40–110 KB (V8's pages, malloc) and gains a
 * little from each, at ~50 ms a reading. A large entry's heap is large, every reading costs a compacting
 * collection of it, and its slope is precise anyway.
 */
const stepsFor = (o: PlanOptions, d: DesignDescriptor) => o.steps ?? (d.planningBytesPerEntry < LARGE_ENTRY_BYTES ? 11 : 9);

/**
 * The largest N a design is measured at: python designs build slowly (~2–3 ms each); a large node entry grows
 * the heap by tens of MB per thousand, which resolves its slope long before --maxsize and costs a second per
 * compacting collection at 10,000.
 */
const maxsizeFor = (o: PlanOptions, d: DesignDescriptor) =>
  d.runtime === 'python' ? o.pythonMaxsize : d.planningBytesPerEntry >= LARGE_ENTRY_BYTES ? o.largeMaxsize : o.maxsize;

/**
 * Enough warm-up creations that every code path has run and the pools are open before the first reading. Python
 * has no JIT to wait for, and the memory its warm-up frees stays in the process (pymalloc, glibc) to be reused by
 * the first entries, which would hold RSS flat at the start of the ladder: a few creations only.
 */
const warmupFor = (o: PlanOptions, d: DesignDescriptor) => o.warmup ?? (d.runtime === 'python' ? 10 : 500);

/** Trusts a campaign needs: its largest N (snapshot runs included) or warm-up, whichever is larger, plus one. */
export const trustsNeeded = (designs: Array<Pick<DesignPlan, 'sizes' | 'warmup'>>, ...snapshotNs: Array<number | undefined>) =>
  Math.max(0, ...snapshotNs.map((n) => n ?? 0), ...designs.flatMap((d) => [...d.sizes, d.warmup])) + 1;

/**
 * The designs of the run: the ones named in --designs (each must exist), else every design; refused with its
 * prediction when one would not fit in this machine's memory.
 */
export function chooseDesigns(o: PlanOptions, set: Pick<DesignSet, 'designs' | 'unavailable'> & { known?: string[] }): DesignDescriptor[] {
  const known = set.known ?? [...set.designs.map((d) => d.id), ...set.unavailable.keys()];
  const unknown = (o.designs ?? []).filter((id) => !known.includes(id));
  if (unknown.length) throw new UsageError(`unknown design ${unknown.map((u) => `"${u}"`).join(', ')}; known: ${known.join(', ')}`);
  const chosen = o.designs ? o.designs.flatMap((id) => set.designs.filter((d) => d.id === id)) : set.designs;
  checkMemory(o, chosen);
  return chosen;
}

/**
 * Refuses sizes the machine cannot hold, with the prediction, instead of swapping or being OOM-killed later:
 * --jobs workers run at once (two trials of one design may, up to --min-trials), each with the private stores its
 * design needs.
 */
function checkMemory(o: PlanOptions, chosen: DesignDescriptor[]): void {
  const budget = totalmem() * 0.7;
  const workers = Math.max(1, Math.min(o.jobs, chosen.length * o.minTrials));
  for (const d of chosen) {
    const n = maxsizeFor(o, d);
    const worker = n * d.planningBytesPerEntry;
    const privateStores = d.needs.filter((id) => !o.externalStores[id]).map(storeDriver);
    const store = privateStores.reduce((a, s) => a + n * s.planningBytesPerKey, 0);
    const predicted = workers * (worker + store);
    if (predicted > budget) {
      const perKey = [...new Set(privateStores.map((s) => `${formatBytes(s.planningBytesPerKey)} per key`))].join(', ');
      const storeText = store ? ` and ${formatBytes(store)} in its private store (${perKey})` : '';
      const jobsText = workers > 1 ? `, ${workers} such workers at once (--jobs ${o.jobs}): ${formatBytes(predicted)}` : '';
      throw new UsageError(`--maxsize ${n} is too large: ${d.id} would need about ${formatBytes(worker)} in one worker (${formatBytes(d.planningBytesPerEntry)} per entry, a planning estimate)${storeText}${jobsText}; this machine has ${formatBytes(totalmem())}, 70 % of it usable`);
    }
  }
}

/** The plan of a run, from its flags and the designs loaded (a UsageError when it cannot be run). */
export function planRun(o: PlanOptions, set: DesignSet): RunPlan {
  const chosen = chooseDesigns(o, set);
  const limits = o.workerMaxOldSpace;
  const stray = Object.keys(limits ?? {}).find((id) => id !== '*' && !chosen.some((d) => d.id === id));
  if (stray) throw new UsageError(`--worker-max-old-space names design "${stray}", which is not in --designs`);
  const designs = chosen.map((d): DesignPlan => {
    const mb = limits?.[d.id] ?? limits?.['*'];
    return { descriptor: d, sizes: sweepSizes(maxsizeFor(o, d), stepsFor(o, d)), warmup: warmupFor(o, d), ...(mb !== undefined ? { maxOldSpaceMb: mb } : {}) };
  });
  return {
    designs,
    listed: o.designs ?? [...chosen.map((d) => d.id), ...set.unavailable.keys()],
    trusts: trustsNeeded(designs, o.snapshotN, o.pythonSnapshotN),
    trials: { min: o.minTrials, max: o.trials, targetRelHalfWidth: o.targetCi },
    protocol: o.protocol,
    seed: o.seed,
    snapshotN: o.snapshotN,
    pythonSnapshotN: o.pythonSnapshotN,
  };
}
