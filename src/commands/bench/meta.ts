// The results' metadata of a bench run: where and how it was made, written from the run plan, so the sizes,
// warm-ups and trials it states are the ones measured.
import { WORKER_NODE_ENV, WORKER_NODE_FLAGS } from '../../measure/runtimes.ts';
import type { Meta } from '../../results/schema.ts';
import type { Run } from './run.ts';

export function runMeta(run: Run, partial: boolean): Meta {
  const { opts, plan, keystone } = run;
  return {
    ...run.base,
    durationMs: Date.now() - run.startedAt.getTime(),
    sizes: [...new Set(plan.designs.flatMap((d) => d.sizes))].sort((a, b) => a - b),
    protocol: plan.protocol,
    jobs: opts.jobs,
    ...(opts.latency ? { latencyMs: opts.latencyMs } : {}),
    ...(opts.warmup !== undefined ? { warmup: opts.warmup } : {}),
    plan: {
      trusts: plan.trusts,
      minTrials: plan.trials.min,
      targetCi: plan.trials.targetRelHalfWidth,
      snapshotN: plan.snapshotN,
      designs: Object.fromEntries(plan.designs.map((d) => [d.descriptor.id, { sizes: d.sizes, warmup: d.warmup, ...(d.maxOldSpaceMb ? { maxOldSpaceMb: d.maxOldSpaceMb } : {}) }])),
    },
    phases: run.phases,
    workerFlags: WORKER_NODE_FLAGS,
    workerEnv: WORKER_NODE_ENV,
    trials: plan.trials.max,
    keystone: {
      kind: keystone.kind, url: keystone.url, version: keystone.version, catalogServices: keystone.catalogServices,
      tokenPath: run.inProcess ? 'in-process' : 'http', ...(keystone.server ? { server: keystone.server } : {}),
    },
    stores: run.stores,
    ...(partial ? { partial: true } : {}),
  };
}
