// Number formatting shared by the Markdown, HTML and terminal outputs and the charts' labels.
// KB = 1024 B and MB = 1024 KB everywhere (the post's `ps` figures are KiB too), so numbers line up.
import { metricInfo } from '../results/metrics.ts';
import type { Meta, MetricName, Results, Sample, Slope } from '../results/schema.ts';
import { findStoreDriver } from '../stores/index.ts';

export { GB, KB, MB, UNIT_NOTE, formatBytes, formatBytesCI, formatSignedBytesCI, unitFor } from '../util/units.ts';
import { KB, formatBytes, formatBytesCI } from '../util/units.ts';

export function formatR2(r2: number): string {
  return `R² ${r2.toFixed(3)}`;
}

/** "0.98 [0.97, 0.99]": counts (file descriptors) per object. */
const formatCountCI = (v: number, ci: [number, number]) => `${v.toFixed(2)} [${ci[0].toFixed(2)}, ${ci[1].toFixed(2)}]`;

/**
 * "45.2 KB [44.8, 45.6] R² 0.998"; "not resolved at N = 2,000 (< 12 B), needs N ≈ 40,000" when the CI includes
 * 0 or the estimate is negative (never a negative memory per object); "–" when the metric was not measured.
 */
export function formatSlope(s: Slope | undefined, metric: MetricName = 'heapUsed'): string {
  if (!s) return '–';
  const count = metricInfo(metric).unit === 'count';
  const res = s.resolution ?? { resolved: s.ci95[0] > 0 && s.bytes > 0, atN: NaN };
  if (!res.resolved) {
    const at = Number.isFinite(res.atN) ? ` at N = ${formatCount(res.atN)}` : '';
    // an upper bound is rounded up, never down to "< 0 B"
    const below = res.below !== undefined ? ` (< ${count ? res.below.toFixed(2) : formatBytes(res.below < KB ? Math.max(1, Math.ceil(res.below)) : res.below)})` : '';
    const needs = res.needsN !== undefined ? `, needs N ≈ ${formatCount(res.needsN)}` : '';
    return count && res.below === undefined ? `0${at}` : `not resolved${at}${below}${needs}`;
  }
  return `${count ? formatCountCI(s.bytes, s.ci95) : formatBytesCI(s.bytes, s.ci95)} ${formatR2(s.r2)}`;
}

/** "Redis", "memcached": the store a design keeps its records in, in words ("store" when it names none). */
export function storeName(d: { store?: string } | undefined): string {
  return findStoreDriver(d?.store)?.name ?? d?.store ?? 'store';
}

/** "Redis" or "Redis or memcached": the stores the designs of a run use, for store-neutral prose. */
export function storesUsed(r: Results): string {
  const names = [...new Set(r.designs.filter((d) => d.store).map((d) => storeName(d)))];
  return names.length ? names.join(' or ') : 'the store';
}

/** A per-object figure in prose: "1.2 KB", or "≈ 0" for a negative difference of slopes (noise, not a saving). */
export function formatPart(bytes: number): string {
  return bytes < 0.5 ? '≈ 0' : formatBytes(bytes);
}

/** "redis private 7.0.15, memcached external 1.6.18", or "none". */
export function storesText(m: Meta): string {
  const list = Object.entries(m.stores ?? {}).map(([id, s]) => `${id} ${s!.kind} ${s!.version}`);
  return list.length ? list.join(', ') : 'none';
}

/** 3 significant digits in ns/µs/ms/s. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  const sig = (v: number) => String(Number(v.toPrecision(3)));
  if (ms < 0.001) return `${sig(ms * 1e6)} ns`;
  if (ms < 1) return `${sig(ms * 1e3)} µs`;
  if (ms < 1000) return `${sig(ms)} ms`;
  return `${sig(ms / 1000)} s`;
}

export function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
}

/** "2025-01-01 12:00 UTC": fixed format and zone so reports do not depend on the reader's locale. */
export function formatDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A metric of a sample, or undefined when it was not measured (absent, null or not a finite number). */
export function metricValue(s: Sample, m: MetricName | 'heapTotal' | 'arrayBuffers' | 'buildMs' | 'tokens'): number | undefined {
  const v = (s as unknown as Record<string, unknown>)[m];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function isSynthetic(r: Results): boolean {
  return r.meta.command === 'synthetic fixture';
}

/** One line saying what was measured on what machine, used under every chart and table. */
export function machineLine(r: Results): string {
  const m = r.meta;
  const synthetic = isSynthetic(r) ? 'SYNTHETIC data · ' : '';
  return `${synthetic}${m.cpu} (${m.cpus} CPUs), Node ${m.node}, ${formatDate(m.startedAt)}`;
}

/** "N = 0, 1250, …, 10000 (node), 0, 250, …, 2000 (python)": each design's own sizes, grouped when they agree. */
export function sizesText(r: Results): string {
  const groups = new Map<string, string[]>();
  for (const d of r.designs) {
    const sizes = d.sizes?.length ? d.sizes : r.meta.sizes;
    if (!d.samples.length) continue;
    const short = sizes.length > 4 ? `${sizes[0]}, ${sizes[1]}, …, ${sizes.at(-1)}` : sizes.join(', ');
    groups.set(short, [...(groups.get(short) ?? []), d.id]);
  }
  if (groups.size <= 1) return `N = ${[...groups.keys()][0] ?? r.meta.sizes.join(', ')}`;
  return [...groups].map(([s, ids]) => `N = ${s} (${ids.join(', ')})`).join('; ');
}

/** "incremental: one worker per trial, read as it grows" / "fresh: one worker per size and trial". */
export function protocolText(r: Results): string {
  return r.meta.protocol === 'fresh' || !r.meta.protocol ? 'one fresh process each' : 'one worker per design and trial, read as it grows';
}

// ---------------------------------------------------------------------------------------------------------
// Markdown layout of the view model's tables, shared by summary.md and README.md.

/** Keeps a table cell on one line and its pipes literal. */
export function mdCell(s: string): string {
  return s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

/** `code` for identifiers; backticks inside become quotes so the span cannot break. */
export const mdCode = (s: string) => `\`${s.replace(/`/g, "'")}\``;

export function mdTable(head: string[], rows: Array<Array<{ text: string; code?: boolean }>>): string {
  const cellText = (c: { text: string; code?: boolean }) => mdCell(c.code ? mdCode(c.text) : c.text);
  return [
    `| ${head.map(mdCell).join(' | ')} |`,
    `|${head.map(() => ' --- ').join('|')}|`,
    ...rows.map((row) => `| ${row.map(cellText).join(' | ')} |`),
  ].join('\n');
}
