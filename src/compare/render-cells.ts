// Cell texts shared by the terminal and Markdown renderings of a comparison.
import { formatBytes, formatDate } from '../report/format.ts';
import { METRICS } from '../results/metrics.ts';
import { verdictCounts, type Comparison, type ComparisonRow, type Figure } from './compare.ts';
import type { DifferenceKind } from './environment.ts';

export const HEAD = ['design', 'metric', 'old', 'new', 'change [95 % CI]', 'p (test)', 'verdict', 'note'];

const COUNT_METRICS = new Set<string>(METRICS.filter((m) => m.unit === 'count').map((m) => m.name));

/** A count per object (descriptors, sockets): a plain number, never bytes. */
const countText = (v: number) => String(Number(v.toPrecision(3)));

/** "33.5 KB ±18 B" (or "1 ±0" for a count): the per-object figure and the half-width of its 95 % CI. */
export function figureText(f: Figure | undefined, metric: string | null = null): string {
  if (!f) return '–';
  if (f.resolved === false) return 'not resolved';
  const fmt = metric !== null && COUNT_METRICS.has(metric) ? countText : formatBytes;
  const half = (f.ci95[1] - f.ci95[0]) / 2;
  return Number.isFinite(half) ? `${fmt(f.bytes)} ±${fmt(half)}` : fmt(f.bytes);
}

/** Signed percentage with enough digits for a sub-percent change to be visible. */
export function pctText(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? '+∞' : x < 0 ? '−∞' : '–';
  const a = Math.abs(x);
  const digits = a < 1 ? 2 : a < 100 ? 1 : 0;
  const s = a.toFixed(digits);
  return Number(s) === 0 ? s : `${x > 0 ? '+' : '−'}${s}`;
}

export function changeText(r: ComparisonRow): string {
  if (r.presence !== 'both') return `only in ${r.presence === 'old only' ? 'old' : 'new'}`;
  if (r.changePct === undefined || !r.changeCi95Pct) return '–';
  return `${pctText(r.changePct)} % [${pctText(r.changeCi95Pct[0])}, ${pctText(r.changeCi95Pct[1])}]`;
}

export function pText(r: ComparisonRow): string {
  if (!r.test) return '–';
  const p = r.test.p < 0.001 ? '<0.001' : r.test.p.toFixed(3);
  return `${p} (${r.test.method === 'welch' ? 'Welch' : 'bootstrap'})`;
}

export function rowCells(r: ComparisonRow): string[] {
  return [r.design, r.metric ?? '–', figureText(r.old, r.metric), figureText(r.new, r.metric), changeText(r), pText(r), r.verdict ?? '–', r.note ?? ''];
}

export function runLine(s: Comparison['old']): string {
  return `${s.label}: commit ${s.commit}, ${formatDate(s.startedAt)}, Node ${s.node}, ${s.cpu} ×${s.cpus} on ${s.hostname}, Keystone ${s.keystone}`;
}

const KIND_TEXT: Record<DifferenceKind, string> = {
  machine: 'different machines',
  node: 'different Node versions',
  keystone: 'different Keystone',
  setup: 'measured with different settings',
  commit: 'different commits',
};

/** One line per kind of difference, the ones that can move memory figures on their own first. */
export function differenceLines(c: Comparison): string[] {
  const lines: string[] = [];
  for (const kind of Object.keys(KIND_TEXT) as DifferenceKind[]) {
    const ds = c.differences.filter((d) => d.kind === kind);
    if (!ds.length) continue;
    const what = ds.map((d) => `${d.field} ${d.old} → ${d.new}`).join('; ');
    const caution = kind === 'commit' ? '' : ' (figures may differ for that reason alone)';
    lines.push(`${KIND_TEXT[kind]}: ${what}${caution}`);
  }
  if (!lines.length) lines.push('same machine, Node, Keystone, settings and commit');
  return [...lines, ...c.designNotes];
}

export function ruleLine(c: Comparison): string {
  return `Lower is better (bytes, or a count for fds and sockets). worse/better: p < ${c.alpha} (Welch's t-test on the per-trial slopes; bootstrap when a ` +
    `side has fewer than 2) and the change's whole 95 % CI beyond the ±${c.thresholdPct} % noise threshold; ` +
    `otherwise no significant change. KB = 1024 bytes.`;
}

export function countsLine(c: Comparison): string {
  const n = verdictCounts(c);
  const oneSided = c.rows.filter((r) => !r.verdict).length;
  const extra = oneSided ? `, ${oneSided} in one run only` : '';
  return `${n.worse} worse, ${n.better} better, ${n['no significant change']} no significant change` +
    `${n['not resolved'] ? `, ${n['not resolved']} not resolved in a run` : ''}${extra}`;
}

const tokens = (v: number) => Math.round(v).toLocaleString('en-US');

/** The planner's answer in both runs (default scenario): the recommendation, then tokens/day and memory per design. */
export function planLines(c: Comparison): string[] {
  const p = c.plan;
  const head = `plan (\`npm run plan\`, scenario ${p.scenario} preset): recommendation ${p.old?.recommendation ?? 'none'} → ` +
    `${p.new?.recommendation ?? 'none'}${p.changed ? ' (CHANGED)' : ' (same)'}${p.note ? `; ${p.note}` : ''}`;
  if (!p.old || !p.new) return [head];
  const newById = new Map(p.new.rows.map((r) => [r.id, r]));
  const lines = p.old.rows.filter((r) => newById.has(r.id)).map((o) => {
    const n = newById.get(o.id)!;
    const mem = (v: number | null) => (v === null ? 'not resolved' : formatBytes(v));
    return `  ${o.id}: tokens/day ${tokens(o.tokensPerDay)} → ${tokens(n.tokensPerDay)}, memory/worker ${mem(o.memoryPerWorker)} → ${mem(n.memoryPerWorker)}`;
  });
  return [head, ...lines];
}
