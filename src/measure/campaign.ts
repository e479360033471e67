// Takes the planned samples one after another: for each, a private redis-server when the design needs one, a
// fresh worker, the reading, and the tokens Keystone issued meanwhile. It never aborts on a failed sample; it
// stops early only when told to (Ctrl-C), keeping everything measured so far.
import { randomBytes } from 'node:crypto';
import { designById } from '../designs/index.ts';
import type { DesignContext } from '../designs/design.ts';
import type { FailedSample, Sample } from '../results/schema.ts';
import { deleteKeys } from '../redis/client.ts';
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
  /** per Keystone request inside a worker, ms (default 10 000) */
  keystoneTimeoutMs?: number;
  /** extra attempts after a 5xx/timeout/network error (default 2) */
  keystoneRetries?: number;
  redisUrl?: string;
  /** key prefix on an existing Redis (default: a fresh "kcb:<random>:" per campaign) */
  redisKeyPrefix?: string;
  /** V8 old-space limit of node workers, MB, by design id ("*" = every node design) */
  workerMaxOldSpaceMb?: Record<string, number>;
  /** python designs, provided by src/designs/python/runner.ts */
  runPython?: (job: SampleJob & { variant: 'constructed' | 'authenticated' }) => Promise<SampleOutcome>;
  shouldStop: () => boolean;
  /**
   * After this many samples of a design in a row failed during set-up (before building anything: Keystone or
   * Redis unusable), and none succeeded, its remaining samples are not run but recorded as failed (default 3).
   * A misconfigured run then fails in seconds instead of timing out sample after sample.
   */
  giveUpAfter?: number;
  onStart?: (s: PlannedSample) => void;
  onDone?: (s: PlannedSample, outcome: SampleOutcome) => void;
}

/** A run-unique prefix, so a shared Redis never sees two runs' keys collide and cleanup deletes only ours. */
export const runKeyPrefix = () => `kcb:${randomBytes(6).toString('hex')}:`;

/**
 * Runs the plan. `tallies` is filled as samples complete (not only at the end), so whoever holds it — the CLI's
 * exit hook writing the partial file — sees every finished sample even if the process is ending.
 */
export async function runCampaign(
  plan: PlannedSample[],
  keystone: KeystoneEnv,
  opts: CampaignOptions,
  tallies: Map<string, DesignTally> = new Map(),
): Promise<Map<string, DesignTally>> {
  const maxN = Math.max(0, ...plan.map((p) => p.n));
  const trustIds = await keystone.trustIds(maxN + 1);
  const keyPrefix = opts.redisKeyPrefix ?? runKeyPrefix();
  const setupFailures = new Map<string, number>();
  const giveUpAfter = opts.giveUpAfter ?? 3;
  for (const planned of plan) {
    if (opts.shouldStop()) break;
    const info = designById(planned.design)!;
    const tally = tallies.get(info.id) ?? { samples: [], failures: [], tokensIssued: 0 };
    tallies.set(info.id, tally);
    opts.onStart?.(planned);
    if ((setupFailures.get(info.id) ?? 0) >= giveUpAfter) {
      const failure = { n: planned.n, trial: planned.trial, reason: `not run: the previous ${giveUpAfter} samples of ${info.id} failed before building anything` };
      tally.failures.push(failure);
      opts.onDone?.(planned, { ok: false, failure });
      continue;
    }
    const before = keystone.tokensIssued();
    let outcome: SampleOutcome;
    let redis: Awaited<ReturnType<typeof startRedisServer>> | undefined;
    try {
      const ctx: DesignContext = { keystone: keystone.target, timeoutMs: opts.keystoneTimeoutMs ?? 10_000, retries: opts.keystoneRetries ?? 2 };
      if (info.needsRedis) {
        if (opts.redisUrl) ctx.redis = { url: opts.redisUrl, keyPrefix };
        else {
          redis = await startRedisServer();
          ctx.redis = { socketPath: redis.socketPath };
        }
      }
      const limits = opts.workerMaxOldSpaceMb ?? {};
      const job: SampleJob = {
        design: info.id, n: planned.n, trial: planned.trial, trustIds, ctx, redisPid: redis?.pid,
        concurrency: opts.concurrency, timeoutMs: opts.timeoutS * 1000, maxOldSpaceMb: limits[info.id] ?? limits['*'],
      };
      if (info.runtime === 'python') {
        if (!opts.runPython) throw new Error('python designs are not available in this build');
        outcome = await opts.runPython({ ...job, variant: info.pythonVariant! });
      } else {
        outcome = await runNodeSample(job);
      }
    } catch (err) {
      // the sample could not even start (e.g. redis-server would not start): does not depend on n either
      outcome = { ok: false, failure: { n: planned.n, trial: planned.trial, reason: redact((err as Error).message.split('\n')[0]) }, setup: true };
    } finally {
      await redis?.stop();
      // An existing Redis is the user's: delete this run's keys after every sample (never FLUSHDB). The keys
      // carry TTLs, so if Redis is unreachable now they still expire by themselves.
      if (info.needsRedis && opts.redisUrl) await deleteKeys({ url: opts.redisUrl }, keyPrefix).catch(() => 0);
    }
    // Stopping kills the sample in flight: its failure says nothing about the design, so it is not recorded.
    if (!outcome.ok && opts.shouldStop()) break;
    const after = keystone.tokensIssued();
    // Keystone's own count when it can be read (the stand-in), otherwise the worker's client-side count.
    if (before !== undefined && after !== undefined) tally.tokensIssued += after - before;
    else if (outcome.ok) tally.tokensIssued += outcome.sample.tokens ?? 0;
    if (outcome.ok) tally.samples.push(outcome.sample);
    else tally.failures.push(outcome.failure);
    const setupFailed = !outcome.ok && outcome.setup && tally.samples.length === 0;
    setupFailures.set(info.id, setupFailed ? (setupFailures.get(info.id) ?? 0) + 1 : 0);
    opts.onDone?.(planned, outcome);
  }
  return tallies;
}
