// Takes the planned samples one after another: for each, a private redis-server when the design needs one, a
// fresh worker, the reading, and the tokens Keystone issued meanwhile. It never aborts on a failed sample; it
// stops early only when told to (Ctrl-C), keeping everything measured so far.
import { designById } from '../designs/index.ts';
import type { DesignContext } from '../designs/design.ts';
import type { FailedSample, Sample } from '../results/schema.ts';
import { startRedisServer } from '../redis/server.ts';
import { redact } from '../util/redact.ts';
import type { KeystoneEnv } from './keystone-env.ts';
import type { PlannedSample } from './plan.ts';
import { runNodeSample, type SampleJob, type SampleOutcome } from './runner.ts';

export interface DesignTally {
  samples: Sample[];
  failures: FailedSample[];
  tokensIssued: number;
}

export interface CampaignOptions {
  concurrency: number;
  timeoutS: number;
  redisUrl?: string;
  workerMaxOldSpaceMb?: number;
  /** python designs, provided by src/designs/python/runner.ts */
  runPython?: (job: SampleJob & { variant: 'constructed' | 'authenticated' }) => Promise<SampleOutcome>;
  shouldStop: () => boolean;
  onStart?: (s: PlannedSample) => void;
  onDone?: (s: PlannedSample, outcome: SampleOutcome) => void;
}

export async function runCampaign(plan: PlannedSample[], keystone: KeystoneEnv, opts: CampaignOptions): Promise<Map<string, DesignTally>> {
  const tallies = new Map<string, DesignTally>();
  const maxN = Math.max(0, ...plan.map((p) => p.n));
  const trustIds = await keystone.trustIds(maxN + 1);
  for (const planned of plan) {
    if (opts.shouldStop()) break;
    const info = designById(planned.design)!;
    const tally = tallies.get(info.id) ?? { samples: [], failures: [], tokensIssued: 0 };
    tallies.set(info.id, tally);
    opts.onStart?.(planned);
    const before = keystone.tokensIssued();
    let outcome: SampleOutcome;
    let redis: Awaited<ReturnType<typeof startRedisServer>> | undefined;
    try {
      const ctx: DesignContext = { keystone: keystone.target, timeoutMs: 10_000, retries: 2 };
      if (info.needsRedis) {
        if (opts.redisUrl) ctx.redis = { url: opts.redisUrl };
        else {
          redis = await startRedisServer();
          ctx.redis = { socketPath: redis.socketPath };
        }
      }
      const job: SampleJob = {
        design: info.id, n: planned.n, trial: planned.trial, trustIds, ctx, redisPid: redis?.pid,
        concurrency: opts.concurrency, timeoutMs: opts.timeoutS * 1000, maxOldSpaceMb: opts.workerMaxOldSpaceMb,
      };
      if (info.runtime === 'python') {
        if (!opts.runPython) throw new Error('python designs are not available in this build');
        outcome = await opts.runPython({ ...job, variant: info.pythonVariant! });
      } else {
        outcome = await runNodeSample(job);
      }
    } catch (err) {
      outcome = { ok: false, failure: { n: planned.n, trial: planned.trial, reason: redact((err as Error).message.split('\n')[0]) } };
    } finally {
      await redis?.stop();
    }
    const after = keystone.tokensIssued();
    // Keystone's own count when it can be read (the stand-in), otherwise the worker's client-side count.
    if (before !== undefined && after !== undefined) tally.tokensIssued += after - before;
    else if (outcome.ok) tally.tokensIssued += outcome.sample.tokens ?? 0;
    if (outcome.ok) tally.samples.push(outcome.sample);
    else tally.failures.push(outcome.failure);
    opts.onDone?.(planned, outcome);
  }
  return tallies;
}
