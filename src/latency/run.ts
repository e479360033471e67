// Times each latency task with tinybench (fixed time budget per task, warm-up first) and keeps the statistics
// the results need: mean, p50, p99 and the relative margin of error.
import { Bench } from 'tinybench';
import type { LatencyResult } from '../results/schema.ts';
import type { KeystoneEnv } from '../measure/keystone-env.ts';
import { startRedisServer, type RedisServer } from '../redis/server.ts';
import { designById } from '../designs/index.ts';
import { designTasks, noCacheTask, type LatencyTask } from './tasks.ts';

export interface LatencyOptions {
  redisUrl?: string;
  /** per task, ms */
  timeMs?: number;
  /** trusts cycled through by each task */
  trusts?: number;
  note?: (text: string) => void;
}

export async function runLatency(keystone: KeystoneEnv, designs: string[], opts: LatencyOptions = {}): Promise<LatencyResult[]> {
  const trustIds = await keystone.trustIds(opts.trusts ?? 200);
  let redis: RedisServer | undefined;
  const closers: Array<() => Promise<void>> = [];
  const results: LatencyResult[] = [];
  try {
    const ctx = { keystone: keystone.target, timeoutMs: 10_000, retries: 0 } as const;
    const tasks: LatencyTask[] = [noCacheTask(ctx, trustIds)];
    for (const id of designs) {
      const info = designById(id);
      if (!info?.load) continue; // python designs: memory only
      let designCtx: typeof ctx & { redis?: { socketPath?: string; url?: string } } = ctx;
      if (info.needsRedis) {
        if (!opts.redisUrl) redis ??= await startRedisServer();
        designCtx = { ...ctx, redis: opts.redisUrl ? { url: opts.redisUrl } : { socketPath: redis!.socketPath } };
      }
      const { tasks: own, close } = await designTasks(id, designCtx, trustIds);
      tasks.push(...own);
      closers.push(close);
    }
    opts.note?.(`timing ${tasks.length} operations with tinybench…`);
    const bench = new Bench({ time: opts.timeMs ?? 500, warmupTime: 100, throws: false });
    for (const t of tasks) bench.add(t.name, t.fn);
    await bench.run();
    for (const t of tasks) {
      const r = bench.getTask(t.name)?.result;
      if (!r || r.state !== 'completed') {
        opts.note?.(`latency: ${t.name} did not complete${r && 'error' in r ? `: ${(r.error as Error).message}` : ''}`);
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
  } finally {
    for (const close of closers) await close().catch(() => {});
    await redis?.stop();
  }
  return results;
}
