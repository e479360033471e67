// A python design's latency: a cached hit and a first miss, timed inside one python process of its own
// (src/worker/python/latency.py) since python calls cannot be timed from node; the statistics are computed here
// as for the node tasks. Named like the node tasks so the report lays them out alike.
import { fileURLToPath } from 'node:url';
import type { StoreId, StoreLocation } from '../designs/contract.ts';
import type { DesignDescriptor } from '../designs/descriptor.ts';
import type { AuthTarget } from '../keystone/auth.ts';
import { supervise } from '../measure/child.ts';
import { snakeStores } from '../measure/runtimes.ts';
import type { LatencyResult } from '../results/schema.ts';
import { timingStats } from '../stats/timings.ts';
import { redact } from '../util/redact.ts';
import { PYTHON, pythonEnv } from '../worker/python/paths.ts';

const SCRIPT = fileURLToPath(new URL('../worker/python/latency.py', import.meta.url));

type Reply = { type: 'result'; hit_ms: number[]; miss_ms: number[] } | { type: 'error'; message: string };

export interface PythonLatencyOptions {
  keystone: AuthTarget;
  stores: Partial<Record<StoreId, StoreLocation>>;
  timeoutMs: number;
  retries: number;
  /** per operation, ms */
  timeMs: number;
  /** at most this many calls per operation */
  maxSamples?: number;
  /** the whole process, ms */
  deadlineMs?: number;
}

/**
 * Hits cycle over `trustIds`; misses use each of `missTrustIds` once (trusts no cache or store has seen: a shared
 * design would otherwise find the record in its store). Throws with a one-line, redacted reason.
 */
export async function pythonDesignLatency(d: DesignDescriptor, trustIds: string[], missTrustIds: string[], o: PythonLatencyOptions): Promise<LatencyResult[]> {
  const child = supervise<unknown, Reply>({ kind: 'spawn-lines', command: PYTHON, args: ['-u', SCRIPT], env: pythonEnv() });
  const timer = setTimeout(() => child.kill(), o.deadlineMs ?? 120_000);
  try {
    const k = o.keystone;
    child.send({
      module: d.module, trust_ids: trustIds, miss_trust_ids: missTrustIds, time_ms: o.timeMs, max_samples: o.maxSamples ?? 100_000,
      ctx: { auth_url: k.authUrl, username: k.username, password: k.password, user_domain_name: k.userDomainName,
        timeout_s: o.timeoutMs / 1000, retries: o.retries, stores: snakeStores(o.stores) },
    });
    const r = await child.next();
    if (r.type !== 'result') throw new Error(r.message ?? 'failed');
    await child.exited;
    const out: LatencyResult[] = [];
    for (const [name, ms] of [[`${d.id}: cached hit (lookup → token)`, r.hit_ms], [`${d.id}: first miss (authenticate + store)`, r.miss_ms]] as const) {
      const s = timingStats(ms);
      if (s) out.push({ name, design: d.id, ...s });
    }
    return out;
  } catch (err) {
    child.kill();
    await child.exited.catch(() => {});
    throw new Error(redact((err as Error).message.split('\n')[0]));
  } finally {
    clearTimeout(timer);
  }
}
