// `npm run keystone-load`: what tokens cost Keystone. Opens the Keystone (or the stand-in), measures each
// operation (CPU per operation, capacity curve), replays the post's scenario scaled to the measured capacity,
// and writes latest.json (atomically) and the report. One function for the entry script to call.
import { existsSync } from 'node:fs';
import { cpus, hostname, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { KEYSTONE_LOAD_HELP, parseKeystoneLoadArgs, type KeystoneLoadArgs } from '../cli/keystone-load-args.ts';
import { startStandInEnv } from '../keystone/env.ts';
import { gitCommit } from '../results/meta.ts';
import { readResults } from '../results/read.ts';
import { writeFileAtomic } from '../results/write.ts';
import { markOutDir } from '../cli/out-dir.ts';
import { PRESETS, plan } from '../model/planner.ts';
import { redact } from '../util/redact.ts';
import { openOperations } from '../keystone-load/operations.ts';
import { idleCpu, measureOperation } from '../keystone-load/measure-ops.ts';
import { replayScale, replayVerdict } from '../keystone-load/replay-plan.ts';
import { KEYSTONE_LOAD_SCHEMA, type KeystoneLoadMeta, type KeystoneLoadResults, type OperationResult, type ReplayResult } from '../keystone-load/schema.ts';
import { openTarget, type LoadTarget } from '../keystone-load/target.ts';

const OP_TRUSTS = 16;

async function standInTarget(): Promise<LoadTarget> {
  const env = await startStandInEnv({ services: 13, trusts: OP_TRUSTS });
  return {
    keystone: env as LoadTarget['keystone'],
    settings: {
      url: env.url, version: env.version, server: 'keystone-cache-bench stand-in (in this process)', local: false,
      cpuNotMeasurable: 'the stand-in runs inside this process: its CPU is the load generator\'s too, so no CPU per operation',
      processes: 1, passwordHashRounds: null, tokenProvider: 'stand-in', tokenExpirationS: 3600, cache: null,
    },
    project: { name: env.standIn!.trustee.projectName, domainName: env.standIn!.trustee.projectDomainName },
    revocationEvents: () => null,
    close: () => env.close(),
  };
}

/** The replay's designs besides no cache: asked for, or the planner's pick for the post's scenario. */
function replayDesigns(args: KeystoneLoadArgs, catalog: Map<string, unknown>): string[] {
  if (args.replayDesigns) {
    const bad = args.replayDesigns.filter((d) => d !== 'no-cache' && !catalog.has(d));
    if (bad.length) throw new Error(`--replay-designs: ${bad.join(', ')} cannot be replayed (node designs: ${[...catalog.keys()].join(', ')})`);
    return args.replayDesigns.filter((d) => d !== 'no-cache');
  }
  try {
    if (existsSync('results/latest.json')) {
      const id = plan(readResults('results/latest.json'), PRESETS.post).recommendation?.id;
      if (id && catalog.has(id)) return [id];
    }
  } catch {
    /* no usable bench results: the default below */
  }
  return ['memcached-handle'];
}

export async function keystoneLoadMain(argv: string[]): Promise<number> {
  const args = parseKeystoneLoadArgs(argv);
  if (args.help) {
    process.stdout.write(KEYSTONE_LOAD_HELP);
    return 0;
  }
  const note = (line: string) => {
    if (!args.quiet) process.stderr.write(`keystone-load: ${redact(line)}\n`);
  };
  const started = new Date();
  const t0 = Date.now();
  // the code that runs is the code at the start: a commit made meanwhile is not what measured
  const commit = gitCommit();
  const phases: Record<string, number> = {};
  const target = args.standIn ? await standInTarget() : await openTarget({ keystoneUrl: args.keystoneUrl, env: process.env, trusts: OP_TRUSTS, note });
  const operations: OperationResult[] = [];
  const replay: ReplayResult[] = [];
  let replaySettings: KeystoneLoadResults['replaySettings'];
  let replaySkipped: string | undefined;
  let fault: string | undefined;
  const loadAvg1AtStart = loadavg()[0];
  const revocationAtStart = target.revocationEvents();
  try {
    const trustIds = await target.keystone.trustIds(OP_TRUSTS);
    const ops = openOperations(target.keystone.target, trustIds, { timeoutMs: 60_000, connections: args.maxConcurrency + 2, project: target.project });
    try {
      const idle = target.masterPid !== undefined ? await idleCpu(target.masterPid) : null;
      for (const id of args.operations) {
        const p0 = Date.now();
        note(`${id}: measuring`);
        operations.push(await measureOperation(id, ops.run(id), {
          masterPid: target.masterPid, batches: args.batches, minBatchCpuMs: args.batchCpuMs, cpuConcurrency: 2, warmup: 4 * (target.settings.processes ?? 4),
          levelS: args.levelS, maxConcurrency: args.maxConcurrency, note,
        }, idle));
        phases[id] = Date.now() - p0;
      }
    } finally {
      await ops.close();
    }
    const tokenOp = operations.find((o) => o.id === 'token-trust') ?? operations.find((o) => o.id.startsWith('token-'));
    if (!args.replay) replaySkipped = 'skipped (--no-replay)';
    else if (!tokenOp?.capacityPerS) replaySkipped = 'no measured token capacity to scale the replay to';
    else {
      const p0 = Date.now();
      // loaded when needed: a bad flag is refused before the simulation's and the charts' modules load
      const { builtinCatalog } = await import('../simulate/run.ts');
      const { runReplay } = await import('../keystone-load/replay.ts');
      const catalog = await builtinCatalog();
      const designs = ['no-cache', ...replayDesigns(args, catalog)];
      const scale = replayScale(tokenOp.capacityPerS, args.replayS);
      replaySettings = scale.settings;
      note(`replay: ${scale.settings.trusts} trusts (scale ${(scale.settings.trusts / 10_000).toPrecision(2)}), clock ×${scale.settings.compression.toFixed(1)}, ` +
        `no cache asks ${scale.settings.noCacheDemandPerS.toFixed(1)} tokens/s against ${tokenOp.capacityPerS.toFixed(1)}/s measured`);
      const [warmupTrustId, ...replayTrusts] = await target.keystone.trustIds(OP_TRUSTS + scale.spec.trusts + 1).then((ids) => ids.slice(OP_TRUSTS));
      const runs = await runReplay({
        target: target.keystone.target, trustIds: replayTrusts, warmupTrustId, designs, catalog, spec: scale.spec, periodMs: scale.periodMs,
        compression: scale.settings.compression, note,
      });
      for (const r of runs) {
        const v = replayVerdict(r, scale.settings, r.design === 'no-cache' ? 'none' : (catalog.get(r.design)!.topology as 'per-worker' | 'shared'));
        note(`replay ${r.design}: ${v.verdict}: served ${v.servedPerS.toFixed(2)} tokens/s (planner ${v.predicted.toFixed(2)}), backlog ${v.backlog}, p50 ${v.p50Ms.toFixed(0)} ms`);
        replay.push(v);
      }
      phases.replay = Date.now() - p0;
    }
  } catch (err) {
    fault = redact((err as Error).message.split('\n')[0]);
    process.stderr.write(`keystone-load: stopped by a fault: ${fault}\n`);
  } finally {
    await target.close();
  }
  const meta: KeystoneLoadMeta = {
    schema: KEYSTONE_LOAD_SCHEMA,
    command: ['npm run keystone-load --', ...argv].join(' '),
    commit,
    startedAt: started.toISOString(),
    durationMs: Date.now() - t0,
    phases,
    machine: { hostname: hostname(), cpu: cpus()[0]?.model ?? 'unknown', cpus: cpus().length, memoryBytes: totalmem(), node: process.version,
      loadAvg1AtStart, loadAvg1AtEnd: loadavg()[0] },
    keystone: {
      kind: args.standIn ? 'stand-in' : 'real',
      label: args.standIn ? 'the harness\'s Keystone stand-in (not Keystone: its figures say nothing about Keystone\'s cost)' : `Keystone ${target.settings.version} at ${target.settings.url}`,
      url: target.settings.url, version: target.settings.version, server: target.settings.server, local: target.settings.local,
      processes: target.settings.processes, passwordHashRounds: target.settings.passwordHashRounds, tokenProvider: target.settings.tokenProvider,
      tokenExpirationS: target.settings.tokenExpirationS, cache: target.settings.cache,
      revocationEvents: { atStart: revocationAtStart, atEnd: target.revocationEvents() },
      cpuMeasurable: target.masterPid !== undefined,
      ...(target.settings.cpuNotMeasurable ? { cpuNotMeasurable: target.settings.cpuNotMeasurable } : {}),
    },
    settings: { levelS: args.levelS, maxConcurrency: args.maxConcurrency, batches: args.batches, minBatchCpuMs: args.batchCpuMs, operations: args.operations, replay: args.replay },
    ...(fault ? { partial: true, fault } : {}),
  };
  const results: KeystoneLoadResults = { meta, operations, replay, ...(replaySettings ? { replaySettings } : {}), ...(replaySkipped ? { replaySkipped } : {}) };
  const json = JSON.stringify(results, null, 2) + '\n';
  writeFileAtomic(join(args.out, 'latest.json'), json);
  markOutDir(args.out);
  if (args.report) await (await import('../report/keystone-load.ts')).writeKeystoneLoadReport(results, args.out);
  if (args.json) process.stdout.write(json);
  note(`wrote ${join(args.out, 'latest.json')} in ${Math.round((Date.now() - t0) / 1000)} s`);
  return fault ? 1 : 0;
}
