// What the bench command's phases share: the options, the plan, Keystone, the tallies the campaign fills, and the
// phases' wall times for the results' metadata.
import type { BenchOptions } from '../../cli/args.ts';
import type { Progress } from '../../cli/progress.ts';
import type { DesignTally } from '../../analysis/design-result.ts';
import type { DesignSet } from '../../design-registry/registry.ts';
import type { KeystoneEnv } from '../../keystone/env.ts';
import type { RunPlan } from '../../measure/run-plan.ts';
import type { LatencyResult, Meta, NotifierBaseline, Results } from '../../results/schema.ts';
import type { ExternalStore, StoreId } from '../../stores/index.ts';
import type { baseMeta } from '../../results/meta.ts';

export interface Planned {
  /** where and by what the run was made, read when it starts (the commit then, not at the end) */
  base: ReturnType<typeof baseMeta>;
  set: DesignSet;
  plan: RunPlan;
  baseline?: Results;
  phases: Record<string, number>;
  startedAt: Date;
}

export interface Run extends Planned {
  opts: BenchOptions;
  argv: string[];
  keystone: KeystoneEnv;
  /** node workers take their tokens from the stand-in's issuer in-process (when asked for and offered) */
  inProcess?: KeystoneEnv['inProcess'];
  keyPrefix: string;
  external: Partial<Record<StoreId, ExternalStore>>;
  stores: Meta['stores'];
  progress: Progress;
  tallies: Map<string, DesignTally>;
  latency?: LatencyResult[];
  notifier?: NotifierBaseline;
}

/** Times a phase into `phases` (ms, summed when a phase runs more than once). */
export async function timed<T>(phases: Record<string, number>, name: string, f: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await f();
  } finally {
    phases[name] = (phases[name] ?? 0) + Date.now() - t0;
  }
}

