// Python designs' latency: a cached hit and a first miss per design, timed inside one python process
// (src/worker/python/latency.py) since python calls cannot be timed from node; the designs of a run one after
// another in that process (one start-up and one import of their libraries, not one each). The statistics are
// computed here as for the node tasks, and named like them so the report lays them out alike.
import { fileURLToPath } from 'node:url';
import type { StoreId, StoreLocation } from '../designs/contract.ts';
import type { DesignDescriptor } from '../designs/descriptor.ts';
import type { AuthTarget } from '../keystone/auth.ts';
import { supervise } from '../measure/child.ts';
import { snakeStores } from '../measure/runtimes.ts';
import type { LatencyResult } from '../results/schema.ts';
import { timingStats } from '../stats/timings.ts';
import { redact } from '../util/redact.ts';
import { errorLine, firstLine } from '../util/text.ts';
import { PYTHON, pythonEnv } from '../worker/python/paths.ts';

const SCRIPT = fileURLToPath(new URL('../worker/python/latency.py', import.meta.url));

type Reply = { type: 'result'; hit_ms: number[]; miss_ms: number[] } | { type: 'error'; message: string };

export interface PythonLatencyOptions {
  keystone: AuthTarget;
  timeoutMs: number;
  retries: number;
  /** per operation, ms */
  timeMs: number;
  /** at most this many calls per operation */
  maxSamples?: number;
  /** per design, ms: the process is stopped when its designs take longer than this each */
  deadlineMs?: number;
}

export interface PythonLatencyJob {
  design: DesignDescriptor;
  /** hits cycle over these */
  trustIds: string[];
  /** each used once: trusts no cache or store has seen (a shared design would otherwise find the record in its store) */
  missTrustIds: string[];
  stores: Partial<Record<StoreId, StoreLocation>>;
}

/** Each design's rows, or the one-line, redacted reason it has none. */
export type PythonLatencyOutcome = { design: string; rows: LatencyResult[] } | { design: string; error: string };

function rowsOf(id: string, r: { hit_ms: number[]; miss_ms: number[] }): LatencyResult[] {
  const out: LatencyResult[] = [];
  for (const [name, ms] of [[`${id}: cached hit (lookup → token)`, r.hit_ms], [`${id}: first miss (authenticate + store)`, r.miss_ms]] as const) {
    const s = timingStats(ms);
    if (s) out.push({ name, design: id, ...s });
  }
  return out;
}

/** Times every job's design in one python process, in order; a design that fails costs only its own rows. */
export async function pythonDesignsLatency(jobs: PythonLatencyJob[], o: PythonLatencyOptions): Promise<PythonLatencyOutcome[]> {
  if (!jobs.length) return [];
  const child = supervise<unknown, Reply>({ kind: 'spawn-lines', command: PYTHON, args: ['-u', SCRIPT], env: pythonEnv() });
  const timer = setTimeout(() => child.kill(), (o.deadlineMs ?? 120_000) * jobs.length);
  const k = o.keystone;
  const ctx = { auth_url: k.authUrl, username: k.username, password: k.password, user_domain_name: k.userDomainName, timeout_s: o.timeoutMs / 1000, retries: o.retries };
  const out: PythonLatencyOutcome[] = [];
  try {
    for (const j of jobs) {
      child.send({
        module: j.design.module, trust_ids: j.trustIds, miss_trust_ids: j.missTrustIds, time_ms: o.timeMs, max_samples: o.maxSamples ?? 100_000,
        ctx: { ...ctx, stores: snakeStores(j.stores) },
      });
    }
    child.send({ type: 'done' });
    for (const j of jobs) {
      const id = j.design.id;
      try {
        const r = await child.next();
        out.push(r.type === 'result' ? { design: id, rows: rowsOf(id, r) } : { design: id, error: redact(firstLine(r.message ?? 'failed')) });
      } catch (err) {
        // the process ended: this design and the ones after it have no timings
        out.push({ design: id, error: redact(errorLine(err)) });
      }
    }
    await child.exited;
    return out;
  } finally {
    clearTimeout(timer);
    child.kill();
    await child.exited.catch(() => {});
  }
}
