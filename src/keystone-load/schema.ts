// The keystone-load results file (results/keystone-load/latest.json). Scripts read it: the fields of the
// contract are meta.keystone.passwordHashRounds, operations[] {id, cpuMsPerOp {mean, ci95}, capacityPerS,
// curve[] {concurrency, perS, p50Ms, p99Ms, errors}} and replay[] {design, scale, demandPerS, servedPerS,
// p50Ms, p99Ms, errors, backlog, predicted, verdict}; the rest says how the figures were taken.
import type { OperationId } from './operations.ts';

export const KEYSTONE_LOAD_SCHEMA = 'kcb-keystone-load/1';

export interface CurveEntry {
  concurrency: number;
  /** successful operations per second */
  perS: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  ops: number;
  /** Keystone's CPU per successful operation at this level, ms (null: not measurable) */
  cpuMsPerOp: number | null;
  /** how busy the rest of the machine was: CPUs' worth of other work, and the 1-minute load average */
  otherCores: number;
  loadAvg1: number;
  firstError?: string;
}

export interface OperationResult {
  id: OperationId;
  text: string;
  /** null when Keystone's processes cannot be read (not local, or the stand-in) */
  cpuMsPerOp: { mean: number; ci95: [number, number]; batches: number; opsPerBatch: number; idleMsPerS: number; resolved: boolean; perBatch: number[] } | null;
  /** the saturation capacity: operations/s at the best level without errors */
  capacityPerS: number | null;
  saturationConcurrency: number | null;
  curve: CurveEntry[];
}

export type Verdict = 'overloaded' | 'within capacity';

export interface ReplayResult {
  /** "no-cache" or a design id */
  design: string;
  /** share of the scenario's alarms and trusts replayed (e.g. 0.05) */
  scale: number;
  /** tokens/s the stream asks for on average (the planner's figure at this scale, real seconds) */
  demandPerS: number;
  /** tokens/s Keystone served during the stream */
  servedPerS: number;
  /** latency a notification saw: from its due time to its token, ms */
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** notifications due but not handled when the stream ended */
  backlog: number;
  /** the planner's tokens/s at this scale */
  predicted: number;
  /**
   * shared designs: tokens minted while another worker was minting the same trust. The compressed clock makes a
   * mint's latency ~compression times longer relative to the token's period than in production, so such
   * overlaps are that much likelier here; the planner counts one mint per renewal.
   */
  concurrentMints: number;
  /** (served − concurrent mints) against the planner: within 20 % is agreement; null for no cache */
  singleFlightVsPredicted: number | null;
  verdict: Verdict;
  /** why the verdict (measured facts) */
  why: string;
  /** backlog or lateness grew from the first half of the stream to the second */
  growing: boolean;
  notifications: number;
  handled: number;
  tokens: number;
  /** notification lateness (due → start), ms: p50 in the first and second half of the stream */
  lagHalvesMs: [number, number];
  wallMs: number;
  firstError?: string;
}

export interface ReplaySettings {
  scenario: string;
  alarms: number;
  trusts: number;
  workers: number;
  /** real evaluation interval and token lifetime of the replay, s, and the compression from the scenario's */
  intervalS: number;
  tokenLifetimeS: number;
  compression: number;
  /** how the short lifetime is applied: the designs run on a clock `compression` times faster */
  how: string;
  durationS: number;
  capacityPerS: number;
  noCacheDemandPerS: number;
}

export interface KeystoneLoadMeta {
  schema: typeof KEYSTONE_LOAD_SCHEMA;
  command: string;
  commit: string | null;
  startedAt: string;
  durationMs: number;
  phases: Record<string, number>;
  machine: { hostname: string; cpu: string; cpus: number; memoryBytes: number; node: string; loadAvg1AtStart: number; loadAvg1AtEnd: number };
  keystone: {
    /** 'real' Keystone or the harness's 'stand-in' (whose figures are never Keystone's) */
    kind: 'real' | 'stand-in';
    label: string;
    url: string;
    version: string;
    server: string | null;
    local: boolean;
    processes: number | null;
    passwordHashRounds: number | null;
    tokenProvider: string | null;
    tokenExpirationS: number | null;
    cache: string | null;
    revocationEvents: { atStart: number | null; atEnd: number | null };
    cpuMeasurable: boolean;
    cpuNotMeasurable?: string;
  };
  settings: { levelS: number; maxConcurrency: number; batches: number; minBatchCpuMs: number; operations: OperationId[]; replay: boolean };
  partial?: boolean;
  /** the fault that stopped the run early (what was measured before it is kept) */
  fault?: string;
}

export interface KeystoneLoadResults {
  meta: KeystoneLoadMeta;
  operations: OperationResult[];
  replay: ReplayResult[];
  replaySettings?: ReplaySettings;
  /** why the replay did not run, when it did not */
  replaySkipped?: string;
}
