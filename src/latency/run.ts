// Times each latency task with tinybench (fixed time budget per task, warm-up first) and keeps the statistics
// the results need: mean, p50, p99 and the relative margin of error.
import { Bench } from 'tinybench';
import type { LatencyResult } from '../results/schema.ts';
import type { KeystoneEnv } from '../measure/keystone-env.ts';
import { startRedisServer, type RedisServer } from '../redis/server.ts';
import { deleteKeys, type RedisLocation } from '../redis/client.ts';
import { redact } from '../util/redact.ts';
import { designById } from '../designs/index.ts';
import { designTasks, noCacheTask, type LatencyTask } from './tasks.ts';

export interface LatencyOptions {
  redisUrl?: string;
  /** key prefix on an existing Redis; its keys are deleted afterwards */
  redisKeyPrefix?: string;
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
      let designCtx: typeof ctx & { redis?: RedisLocation } = ctx;
      if (info.needsRedis) {
        if (!opts.redisUrl) redis ??= await startRedisServer();
        designCtx = { ...ctx, redis: opts.redisUrl ? { url: opts.redisUrl, keyPrefix: opts.redisKeyPrefix } : { socketPath: redis!.socketPath } };
      }
      // One design that cannot set up (Redis gone, Keystone refusing) must not cost the others their timings.
      try {
        const { tasks: own, close } = await designTasks(id, designCtx, trustIds);
        tasks.push(...own);
        closers.push(close);
      } catch (err) {
        opts.note?.(redact(`latency: ${id} skipped: ${(err as Error).message.split('\n')[0]}`));
      }
    }
    opts.note?.(`timing ${tasks.length} operations with tinybench…`);
    const bench = new Bench({ time: opts.timeMs ?? 500, warmupTime: 100, throws: false });
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
  } finally {
    for (const close of closers) await close().catch(() => {});
    await redis?.stop();
    if (opts.redisUrl && opts.redisKeyPrefix) await deleteKeys({ url: opts.redisUrl }, opts.redisKeyPrefix).catch(() => 0);
  }
  return results;
}
