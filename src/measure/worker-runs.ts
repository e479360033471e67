// One worker run of a campaign, start to finish: the stores the design needs (a private server per run, or the
// user's with a run-unique key prefix), a fresh worker and its readings, the tokens Keystone issued meanwhile, all
// added to the design's tally. A design whose runs keep failing before they build anything stops being started.
import type { DesignTally } from '../analysis/design-result.ts';
import type { StoreId, StoreLocation } from '../designs/contract.ts';
import type { KeystoneEnv } from '../keystone/env.ts';
import { openStores } from '../stores/open.ts';
import { redact } from '../util/redact.ts';
import { errorLine } from '../util/text.ts';
import type { CampaignOptions } from './campaign-options.ts';
import type { DesignPlan } from './run-plan.ts';
import type { PlannedRun } from './runs.ts';
import { launcherFor } from './runtimes.ts';
import { runWorker, type RunOutcome } from './session.ts';

export class WorkerRuns {
  /** set-up failures in a row, by design */
  private readonly setupFailures = new Map<string, number>();
  private count = 0;

  constructor(
    private readonly keystone: KeystoneEnv,
    private readonly opts: CampaignOptions,
    private readonly trustIds: string[],
    private readonly tallyOf: (id: string) => DesignTally,
  ) {}

  private get giveUpAfter() {
    return this.opts.giveUpAfter ?? 3;
  }

  /** Runs one worker (a snapshot run when `snapshotPath` is given: its readings are not the design's samples). */
  async run(plan: DesignPlan, run: PlannedRun, snapshotPath?: string): Promise<RunOutcome> {
    const d = plan.descriptor;
    const tally = this.tallyOf(d.id);
    if ((this.setupFailures.get(d.id) ?? 0) >= this.giveUpAfter) {
      const failure = { n: run.ladder.at(-1) ?? 0, trial: run.trial, reason: `not run: the previous ${this.giveUpAfter} runs of ${d.id} failed before building anything` };
      tally.failures.push(failure);
      return { samples: [], failure };
    }
    const before = this.keystone.tokensIssued();
    const t0 = Date.now();
    const outcome = await this.measure(plan, run, snapshotPath);
    tally.wallMs += Date.now() - t0;
    // Stopping kills the run in flight: its failure says nothing about the design, so it is not recorded.
    if (outcome.failure && this.opts.shouldStop()) return outcome;
    this.countTokens(plan, tally, outcome, before);
    if (!snapshotPath) tally.samples.push(...outcome.samples);
    else if (d.runtime === 'python') tally.crossCheck = { samples: outcome.samples, sites: outcome.sites ?? [] };
    if (outcome.failure) tally.failures.push(outcome.failure);
    const setupFailed = !!outcome.failure && outcome.setup && tally.samples.length === 0;
    this.setupFailures.set(d.id, setupFailed ? (this.setupFailures.get(d.id) ?? 0) + 1 : 0);
    return outcome;
  }

  private async measure(plan: DesignPlan, run: PlannedRun, snapshotPath?: string): Promise<RunOutcome> {
    const { opts } = this;
    const d = plan.descriptor;
    // python's cross-check worker traces allocations; the workers whose RSS is measured never do
    const trace = !!snapshotPath && d.runtime === 'python';
    let stores: Awaited<ReturnType<typeof openStores>> | undefined;
    try {
      // A prefix of the run's own, so workers that run together on a store the user owns never delete each other's
      // keys; of fixed width, because designs keep keys in memory and a longer prefix would make later runs' entries
      // larger.
      stores = await openStores(d.needs, { external: opts.externalStores, keyPrefix: `${opts.keyPrefix}${String(++this.count).padStart(6, '0')}:`, timeoutMs: opts.keystoneTimeoutMs });
      const ctxStores: Partial<Record<StoreId, StoreLocation>> = {};
      for (const [id, s] of stores.open) {
        ctxStores[id] = s.location;
        if (s.server) opts.onStoreVersion?.(id, s.server.version);
      }
      return await runWorker({
        design: d, trial: run.trial, ladder: run.ladder, trustIds: this.trustIds,
        ctx: {
          keystone: this.keystone.target, timeoutMs: opts.keystoneTimeoutMs, retries: opts.keystoneRetries, stores: ctxStores,
          ...(opts.inProcess && d.runtime === 'node' ? { inProcess: opts.inProcess } : {}),
        },
        warmup: plan.warmup, concurrency: opts.concurrency, timeoutMs: opts.timeoutS * 1000,
        store: stores.open.values().next().value, snapshotPath, trace,
      }, launcherFor(d.runtime, { maxOldSpaceMb: plan.maxOldSpaceMb }));
    } catch (err) {
      // the run could not even start (a store server would not start): does not depend on n either
      return { samples: [], failure: { n: 0, trial: run.trial, reason: redact(errorLine(err)) }, setup: true };
    } finally {
      await stores?.close();
    }
  }

  /**
   * Keystone's own count when it can be read (the stand-in), no other worker ran meanwhile and every token came
   * from it; otherwise the worker's client-side count.
   */
  private countTokens(plan: DesignPlan, tally: DesignTally, outcome: RunOutcome, before: number | undefined) {
    const after = this.keystone.tokensIssued();
    const served = !(this.opts.inProcess && plan.descriptor.runtime === 'node');
    if ((this.opts.jobs ?? 1) <= 1 && served && before !== undefined && after !== undefined) tally.tokensIssued += after - before;
    else tally.tokensIssued += Math.max(0, ...outcome.samples.map((s) => s.tokens ?? 0));
  }
}
