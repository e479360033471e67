// The replay's scale and verdicts, pure: how far the post's scenario is scaled down so that no cache asks for at
// least twice what Keystone served at saturation, what the planner's arithmetic predicts at that scale, and
// whether the measured run kept up.
import { modelNamedScenario } from '../model/scenarios.ts';
import { POST_SCENARIO } from '../model/tokens.ts';
import type { StreamSpec } from '../model/sim-stream.ts';
import type { ReplayResult, ReplaySettings } from './schema.ts';
import type { ReplayRun } from './replay.ts';
import { percentile } from './stats.ts';

/** no cache asks for this many times the measured capacity */
export const OVERLOAD_FACTOR = 2.5;
/** usable periods each trust's stream covers (the run lasts one more: trusts start staggered) */
export const REPLAY_PERIODS = 2;

export interface ReplayScale {
  settings: ReplaySettings;
  spec: StreamSpec;
  periodMs: number;
}

export function replayScale(capacityPerS: number, durationS: number, workers = POST_SCENARIO.workers): ReplayScale {
  if (!(capacityPerS > 0)) throw new RangeError('the replay needs a measured capacity > 0');
  const P = POST_SCENARIO.tokenLifetimeS - POST_SCENARIO.refreshMarginS;
  const periodMs = (durationS * 1000) / (REPLAY_PERIODS + 1);
  const compression = (P * 1000) / periodMs;
  // notifications per trust per usable period in the post's scenario (58): kept, whatever the scale
  const n = (POST_SCENARIO.alarms * POST_SCENARIO.firingFraction / POST_SCENARIO.evaluationIntervalS / POST_SCENARIO.trusts) * P;
  // no cache: trusts × n × periods notifications over the run
  const trusts = Math.min(2000, Math.max(4, Math.ceil((OVERLOAD_FACTOR * capacityPerS * durationS) / (n * REPLAY_PERIODS))));
  const scale = trusts / POST_SCENARIO.trusts;
  return {
    periodMs,
    spec: { trusts, workers, notificationsPerTrustPerPeriod: n, periods: REPLAY_PERIODS, stream: 'poisson', routing: 'random', seed: 1 },
    settings: {
      scenario: 'post', alarms: Math.round(POST_SCENARIO.alarms * scale), trusts, workers,
      intervalS: POST_SCENARIO.evaluationIntervalS / compression, tokenLifetimeS: POST_SCENARIO.tokenLifetimeS / compression, compression,
      how: `the notifier workers' clock runs ${compression.toFixed(1)}× faster (evaluation interval ${(POST_SCENARIO.evaluationIntervalS / compression).toFixed(2)} s real); ` +
        `each token's remaining lifetime from Keystone is put on that clock when it arrives, so tokens live ${(POST_SCENARIO.tokenLifetimeS / compression).toFixed(1)} s real ` +
        `and are re-minted ${(POST_SCENARIO.refreshMarginS / compression).toFixed(1)} s before they expire; Keystone itself is not reconfigured`,
      durationS, capacityPerS,
      noCacheDemandPerS: (trusts * n * REPLAY_PERIODS) / durationS,
    },
  };
}

/** The planner's tokens/s for a design of this topology at the replay's scale, real seconds, averaged over the run. */
export function predictedPerS(s: ReplaySettings, design: 'none' | 'per-worker' | 'shared'): number {
  const c = s.compression;
  const m = modelNamedScenario({ scenario: 'post', alarms: s.alarms, trustShare: 1, trusts: s.trusts }, {
    design, workers: s.workers, firingFraction: POST_SCENARIO.firingFraction, evaluationIntervalS: POST_SCENARIO.evaluationIntervalS / c,
    tokenLifetimeS: POST_SCENARIO.tokenLifetimeS / c, refreshMarginS: POST_SCENARIO.refreshMarginS / c, tokenModel: 'renewal', repeatActions: 'post',
  });
  // each trust's stream covers REPLAY_PERIODS of the run's REPLAY_PERIODS + 1 usable periods
  return (m.tokensPerDay / 86_400) * (REPLAY_PERIODS / (REPLAY_PERIODS + 1));
}

/** Lateness that doubled from the first half of the stream to the second, and by more than a second. */
const grew = (h: [number, number]) => Number.isFinite(h[0]) && Number.isFinite(h[1]) && h[1] > 2 * h[0] && h[1] - h[0] > 1000;

export function replayVerdict(run: ReplayRun, s: ReplaySettings, topology: 'none' | 'per-worker' | 'shared'): ReplayResult {
  const streamS = run.streamMs / 1000;
  const predicted = predictedPerS(s, topology);
  const singleFlight = (run.tokens - run.concurrentMints) / streamS;
  const backlogShare = run.notifications ? run.unhandled / run.notifications : 0;
  const growing = grew(run.lagHalvesMs) || backlogShare > 0.01;
  const overloaded = growing || run.errors > 0;
  const why = overloaded
    ? [run.unhandled ? `${run.unhandled} of ${run.notifications} notifications still waiting when the stream ended` : '',
      grew(run.lagHalvesMs) ? `median wait grew from ${(run.lagHalvesMs[0] / 1000).toFixed(1)} s to ${(run.lagHalvesMs[1] / 1000).toFixed(1)} s` : '',
      run.errors ? `${run.errors} errors (${run.firstError ?? 'no message'})` : ''].filter(Boolean).join('; ')
    : `every notification handled, median wait ${percentile(run.latenciesMs, 0.5).toFixed(0)} ms, no errors`;
  return {
    design: run.design, scale: s.trusts / POST_SCENARIO.trusts,
    demandPerS: topology === 'none' ? s.noCacheDemandPerS : predicted,
    servedPerS: run.tokens / streamS,
    p50Ms: percentile(run.latenciesMs, 0.5), p99Ms: percentile(run.latenciesMs, 0.99),
    errors: run.errors, backlog: run.unhandled, predicted, concurrentMints: run.concurrentMints,
    singleFlightVsPredicted: topology === 'none' ? null : (singleFlight - predicted) / predicted, verdict: overloaded ? 'overloaded' : 'within capacity', why, growing,
    notifications: run.notifications, handled: run.handled, tokens: run.tokens, lagHalvesMs: run.lagHalvesMs, wallMs: run.wallMs,
    ...(run.firstError ? { firstError: run.firstError } : {}),
  };
}
