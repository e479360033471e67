// Measuring one operation on Keystone: its CPU per operation from Keystone's own CPU accounting (batches of
// operations at a steady concurrency, Keystone's process tree read from /proc before and after each batch), and
// its capacity curve (a closed loop at rising concurrency until throughput stops rising or errors appear).
import { setTimeout as sleep } from 'node:timers/promises';
import { drive } from './drive.ts';
import type { Operation, OperationId } from './operations.ts';
import { OPERATION_TEXT } from './operations.ts';
import type { CurveEntry, OperationResult } from './schema.ts';
import { capacity, cpuPerOp, curveDone, percentile, type CpuBatch } from './stats.ts';
import { openWindow } from './window.ts';

export interface MeasureOptions {
  /** Keystone's uWSGI master (its tree is Keystone); absent: CPU not measurable */
  masterPid?: number;
  /** batches of the CPU measurement (the CI is over them) */
  batches: number;
  /** each batch runs until Keystone has spent about this much CPU (fewer ticks: coarser figures) */
  minBatchCpuMs: number;
  /** concurrency of the CPU batches */
  cpuConcurrency: number;
  /** operations run before the CPU batches (not counted) */
  warmup: number;
  /** seconds per level of the capacity curve */
  levelS: number;
  maxConcurrency: number;
  note?: (line: string) => void;
}

/** Keystone's CPU per second while nothing is asked of it, ms (its master and router tick). */
export async function idleCpu(masterPid: number, ms = 1000): Promise<number> {
  const w = openWindow(masterPid);
  await sleep(ms);
  const r = w.close();
  return (r.keystoneCpuMs! / r.wallMs) * 1000;
}

async function cpuBatches(op: Operation, o: MeasureOptions, idleMsPerS: number, offset: number): Promise<CpuBatch[]> {
  // warm-up: every Keystone worker process fills its caches (catalog, roles, revocation list) before anything
  // counts; then a probe sizes the batches so each one spans enough clock ticks
  await drive(op, { concurrency: o.cpuConcurrency, count: o.warmup, offset: offset + 500_000 });
  const probe = openWindow(o.masterPid);
  const p = await drive(op, { concurrency: o.cpuConcurrency, count: o.cpuConcurrency * 2, offset });
  const pr = probe.close();
  const estimate = Math.max(0.5, (pr.keystoneCpuMs! - (idleMsPerS * pr.wallMs) / 1000) / Math.max(1, p.ok));
  const opsPerBatch = Math.min(400, Math.max(o.cpuConcurrency, Math.ceil(o.minBatchCpuMs / estimate)));
  const batches: CpuBatch[] = [];
  for (let b = 0; b < o.batches; b++) {
    const w = openWindow(o.masterPid);
    const d = await drive(op, { concurrency: o.cpuConcurrency, count: opsPerBatch, offset: offset + (b + 1) * opsPerBatch });
    const r = w.close();
    if (d.errors) throw new Error(`${d.errors} of ${opsPerBatch} operations failed while measuring CPU: ${d.firstError}`);
    batches.push({ ops: d.ok, cpuMs: r.keystoneCpuMs!, wallMs: r.wallMs });
  }
  return batches;
}

async function curve(op: Operation, o: MeasureOptions, id: OperationId): Promise<CurveEntry[]> {
  const points: CurveEntry[] = [];
  for (let c = 1; c <= o.maxConcurrency; c *= 2) {
    const w = openWindow(o.masterPid);
    const d = await drive(op, { concurrency: c, until: performance.now() + o.levelS * 1000, offset: c * 100_000 });
    const r = w.close();
    const perS = d.ok / (Math.max(1, d.spanMs) / 1000);
    points.push({
      concurrency: c, perS, p50Ms: percentile(d.latenciesMs, 0.5), p99Ms: percentile(d.latenciesMs, 0.99), errors: d.errors, ops: d.ok,
      cpuMsPerOp: r.keystoneCpuMs === null || d.ok === 0 ? null : r.keystoneCpuMs / d.ok,
      otherCores: r.otherCores, loadAvg1: r.loadAvg1, ...(d.firstError ? { firstError: d.firstError } : {}),
    });
    o.note?.(`${id}: concurrency ${c}: ${perS.toFixed(1)}/s, p50 ${percentile(d.latenciesMs, 0.5).toFixed(0)} ms, ${d.errors} errors`);
    if (curveDone(points)) break;
  }
  return points;
}

export async function measureOperation(id: OperationId, op: Operation, o: MeasureOptions, idleMsPerS: number | null): Promise<OperationResult> {
  let cpu: OperationResult['cpuMsPerOp'] = null;
  if (o.masterPid !== undefined && idleMsPerS !== null) {
    const batches = await cpuBatches(op, o, idleMsPerS, 0);
    cpu = cpuPerOp(batches, idleMsPerS);
    if (cpu) o.note?.(`${id}: Keystone CPU ${cpu.mean.toFixed(2)} ms per operation [${cpu.ci95.map((v) => v.toFixed(2)).join(', ')}] over ${cpu.batches} × ${cpu.opsPerBatch}`);
  }
  const points = await curve(op, o, id);
  const cap = capacity(points);
  return { id, text: OPERATION_TEXT[id], cpuMsPerOp: cpu, capacityPerS: cap?.perS ?? null, saturationConcurrency: cap?.concurrency ?? null, curve: points };
}
