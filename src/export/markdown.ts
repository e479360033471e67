// The short summary as Markdown (summary.md, README.md) and as plain text for the terminal.
import { metricInfo } from '../results/metrics.ts';
import type { DesignResult, MetricName, Results } from '../results/schema.ts';
import { modelSectionOf } from '../model/results-model.ts';
import { plannerSummaryMarkdown } from '../model/planner-render.ts';
import {
  METRIC_LABELS, UNIT_NOTE, protocolText, sizesText, formatBytes, formatCount, formatMs, formatSlope, machineLine,
} from '../report/format.ts';

/** Columns of the summary table; the optional ones appear only when some design has that metric. */
export function summaryMetrics(r: Results): MetricName[] {
  const always: MetricName[] = ['heapUsed', 'external', 'rss', 'pidusageRss', 'storeUsedMemory'];
  const optional: MetricName[] = ['storeRss', 'tracemalloc', 'fds'];
  return [...always, ...optional.filter((m) => r.designs.some((d) => d.perObject[m]))];
}

export function metricHeader(m: MetricName): string {
  return `${METRIC_LABELS[m]} per ${metricInfo(m).per}`;
}

export function statusText(d: DesignResult): string {
  return d.status === 'partial' ? `partial (${d.failures.length} failed)` : d.status;
}

/** Keeps a table cell on one line and its pipes literal. */
function cell(s: string): string {
  return s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.map(cell).join(' | ')} |`,
    `|${head.map(() => ' --- ').join('|')}|`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}

export function methodLine(r: Results): string {
  return `Per-object cost = least-squares slope of memory over N (${sizesText(r)}; ` +
    `up to ${r.meta.trials} trials, ${protocolText(r)}): mean over trials, its 95 % CI in brackets, ` +
    `R² of the fit over all samples; "not resolved" where the CI includes 0. ${UNIT_NOTE}.`;
}

export function referenceLine(r: Results): string {
  return `Reference: ${r.reference.label} = **${formatBytes(r.reference.bytesPerObject)} per object**.`;
}

export function summaryTableMarkdown(r: Results): string {
  const metrics = summaryMetrics(r);
  const head = ['Design', 'Status', ...metrics.map(metricHeader), 'Tokens issued'];
  const rows = r.designs.map((d) => [
    `\`${d.id}\``, statusText(d), ...metrics.map((m) => formatSlope(d.perObject[m], m)), formatCount(d.tokensIssued),
  ]);
  const legend = r.designs.map((d) => `- \`${d.id}\`: ${cell(d.title)}${d.note ? ` — ${cell(d.note)}` : ''}`);
  return `${table(head, rows)}\n\n${legend.join('\n')}`;
}

export function latencyMarkdown(r: Results): string {
  if (!r.latency?.length) return '';
  const rows = r.latency.map((l) => [
    l.name, l.design ? `\`${l.design}\`` : '–', formatMs(l.meanMs), formatMs(l.p50Ms), formatMs(l.p99Ms),
    `±${l.rme.toFixed(1)} %`, formatCount(l.samples),
  ]);
  return table(['Operation', 'Design', 'mean', 'p50', 'p99', '±rme', 'samples'], rows);
}

/** The scenario line over the token model table (Markdown and HTML). */
export function tokenModelIntro(r: Results): string {
  const sc = modelSectionOf(r).scenario;
  return `The post's scenario: ${sc.alarms.toLocaleString('en-US')} alarms, ${sc.firingFraction * 100} % firing every ` +
    `${sc.evaluationIntervalS} s, ${sc.trusts.toLocaleString('en-US')} trusts, ${sc.workers} notifier workers, ${sc.tokenLifetimeS} s ` +
    `tokens re-minted ${sc.refreshMarginS} s before expiry. Tokens/day from the token model (${sc.tokenModel}; worst case: every alarm ` +
    `repeats its action); memory = this run's RSS per cached object (heapUsed + external, marked "heap", where the RSS slope's ` +
    `95 % CI includes 0) × the trusts one worker caches in a day, paid in every worker; ` +
    `Redis = used_memory per key × keys alive, paid once. A model, not a measurement at that scale.`;
}

/** Header and cells of the token model table, shared by Markdown and HTML. */
export function tokenModelRows(r: Results): { head: string[]; rows: string[][] } {
  const section = modelSectionOf(r);
  const head = ['Design', 'Cache', 'Tokens/day', 'of no cache', 'Worst case tokens/day', 'Entries/worker', 'Per object',
    'Memory per worker', 'Shared Redis'];
  const cacheText = { none: 'none', 'per-worker': `per worker (×${section.scenario.workers})`, shared: 'shared Redis' } as const;
  // the worst case has its own column; its no-cache row (1.44 B) is in the chart
  const rows = section.rows.filter((x) => x.id !== 'no-cache-worst').map((x) => [
    x.id, cacheText[x.cache], formatCount(x.tokensPerDay), `${Number((x.shareOfNoCache * 100).toPrecision(3))} %`,
    formatCount(x.worstCaseTokensPerDay), x.cache === 'none' ? '–' : formatCount(x.entriesPerWorker),
    x.cache === 'none' ? '–' : x.bytesPerObject === null ? `not measured${x.status && x.status !== 'ok' ? ` (${x.status})` : ''}`
      : `${formatBytes(x.bytesPerObject)}${x.bytesMetric === 'heapUsed' ? ' (heap)' : ''}`,
    x.cache === 'none' ? '–' : x.bytesPerWorker === null ? '–' : formatBytes(x.bytesPerWorker),
    x.sharedStoreBytes === null ? (x.cache === 'shared' && x.sharedStoreKeys !== null ? `${formatCount(x.sharedStoreKeys)} keys` : '–')
      : `${formatBytes(x.sharedStoreBytes)} (${formatCount(x.sharedStoreKeys ?? 0)} keys)`,
  ]);
  return { head, rows };
}

export function tokenModelMarkdown(r: Results): string {
  const { head, rows } = tokenModelRows(r);
  return `${tokenModelIntro(r)}\n\n${table(head, rows.map((row) => [`\`${row[0]}\``, ...row.slice(1)]))}`;
}

export function failuresMarkdown(r: Results): string {
  const lines = r.designs.flatMap((d) =>
    d.failures.map((f) => `- \`${d.id}\` N = ${f.n}, trial ${f.trial}: ${cell(f.reason)}`));
  return lines.join('\n');
}

export function summaryMarkdown(r: Results): string {
  const parts = [
    '# Per-object memory of Keystone-client cache designs',
    `${machineLine(r)}${r.meta.partial ? ' · **interrupted run: partial results**' : ''}`,
    methodLine(r),
    summaryTableMarkdown(r),
    referenceLine(r),
  ];
  const cross = crossCheckMarkdown(r);
  if (cross) parts.push('## Cross-check and where the bytes go', cross);
  parts.push("## Tokens and memory in the post's scenario", tokenModelMarkdown(r));
  parts.push(...plannerSummaryMarkdown(r));
  const lat = latencyMarkdown(r);
  if (lat) parts.push('## Latency per lookup', lat);
  const failed = failuresMarkdown(r);
  if (failed) parts.push('## Failed samples', failed);
  return parts.join('\n\n') + '\n';
}

/**
 * The heap-snapshot cross-check beside the heapUsed slope, the top owners of an entry's bytes, and RSS split into
 * live heap, heap slack and memory outside the V8 heap: why a design costs what it costs.
 */
export function crossCheckMarkdown(r: Results): string {
  const rows = r.designs.filter((d) => d.snapshot || d.rssBreakdown).map((d) => {
    const s = d.snapshot;
    const heap = d.perObject.heapUsed;
    const diff = s?.relativeDifference;
    const top = s ? s.breakdown.filter((b) => b.owner !== 'other').slice(0, 3).map((b) => `${b.owner} ${formatBytes(b.bytesPerEntry)}`).join('; ') : '–';
    const rb = d.rssBreakdown;
    return [
      `\`${d.id}\``,
      heap ? formatSlope(heap, 'heapUsed') : '–',
      s ? `${formatBytes(s.retainedPerEntry)} (N = ${s.n})` : '–',
      diff === undefined ? '–' : `${diff >= 0 ? '+' : '−'}${Math.abs(diff * 100).toFixed(1)} %${Math.abs(diff) > 0.1 ? ' ⚠' : ''}`,
      top,
      rb ? `${formatBytes(rb.liveHeap)} heap + ${formatBytes(rb.heapSlack)} slack + ${formatBytes(rb.outsideHeap)} outside` : '–',
    ];
  });
  if (!rows.length) return '';
  return [
    'heapUsed slope beside the retained size of one held entry in a V8 heap snapshot (dominator tree); ⚠ marks a difference above 10 %. ' +
      'Top owners: the property path of the entry that holds the bytes. RSS split: live heap, V8 heap slack (heapTotal − heapUsed), outside the V8 heap (RSS − heapTotal), per object.',
    table(['Design', 'heapUsed slope', 'snapshot retained', 'difference', 'top owners per entry', 'RSS per object'], rows),
  ].join('\n\n');
}

/** Narrow plain-text form for the terminal: value ± CI half-width, no R², one line per design. */
export function summaryTerminal(r: Results): string {
  const short = (d: DesignResult, m: MetricName) => {
    const s = d.perObject[m];
    return s ? `${formatBytes(s.bytes)} ±${formatBytes((s.ci95[1] - s.ci95[0]) / 2)}` : '–';
  };
  const head = ['design', 'status', 'heapUsed', 'RSS', 'store/key', 'tokens'];
  const rows = r.designs.map((d) => [
    d.id, d.status, short(d, 'heapUsed'), short(d, 'rss'), short(d, 'storeUsedMemory'), formatCount(d.tokensIssued),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const fmt = (row: string[]) => row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [
    fmt(head), ...rows.map(fmt),
    `per object (slope over N, ±95 % CI), ${UNIT_NOTE}; post (2015): ${formatBytes(r.reference.bytesPerObject)}`,
  ].join('\n') + '\n';
}
