// What a campaign is told: the run plan's policy, how workers reach Keystone and the stores, and whom to tell what
// happens (the progress line, the results' metadata).
import type { StoreId } from '../designs/contract.ts';
import type { Runtime } from '../designs/descriptor.ts';
import type { InProcessOptions } from '../keystone/in-process-post.ts';
import type { SnapshotCheck } from '../results/schema.ts';
import type { ExternalStore } from '../stores/index.ts';
import type { DesignPlan, TrialPolicy } from './run-plan.ts';
import type { PlannedRun, Protocol } from './runs.ts';
import type { RunOutcome } from './session.ts';

/** A design as the campaign runs it: its descriptor, sizes, warm-up and heap limit, from the run plan. */
export type CampaignDesign = DesignPlan;

export interface CampaignOptions {
  protocol: Protocol;
  seed: number;
  trials: TrialPolicy;
  concurrency: number;
  timeoutS: number;
  keystoneTimeoutMs: number;
  keystoneRetries: number;
  /** node workers take tokens from the stand-in's issuer in-process (src/keystone/in-process-post.ts) */
  inProcess?: InProcessOptions;
  /** stores the user owns, used instead of a private server */
  externalStores: Partial<Record<StoreId, ExternalStore>>;
  /** key prefix for every store, run-unique */
  keyPrefix: string;
  /**
   * The cross-check worker of each design, after its trials: it builds n (python: pythonN) entries and writes a
   * heap snapshot (node) or object graph (python; that worker also traces allocations, read at CROSS_CHECK_STEPS
   * sizes on the way). 0: none for that runtime.
   */
  snapshot?: { n: number; pythonN: number; analyse: (path: string, runtime: Runtime) => Promise<Omit<SnapshotCheck, 'n'>> };
  shouldStop: () => boolean;
  /**
   * Workers measured at once (default 1). Each worker is its own process, so one's memory readings do not see
   * another's; only build times change. Above 1, tokens are counted by each worker's client (Keystone's own
   * count cannot be split between workers that run together).
   */
  jobs?: number;
  /**
   * After this many runs of a design in a row failed during set-up (Keystone or a store unusable) and none
   * succeeded, its remaining runs are recorded as failed without starting: a misconfigured run fails in seconds.
   */
  giveUpAfter?: number;
  /** a private store server started: its version, for the results' meta */
  onStoreVersion?: (id: StoreId, version: string) => void;
  onPlan?: (runs: PlannedRun[]) => void;
  onStart?: (r: PlannedRun) => void;
  onDone?: (r: PlannedRun, outcome: RunOutcome, ms: number) => void;
  note?: (text: string) => void;
}

