// summary.md, results/README.md and the terminal summary: the view model (src/report/view.ts) laid out as Markdown
// and plain text. The README carries the PNG charts (GitHub and most Markdown viewers do not render inline SVG from a
// relative path as reliably as PNG), each with what a reader learns from it and how to read it.
import type { Results } from '../results/schema.ts';
import { isMethodChart } from './charts.ts';
import { mdCell, mdCode, mdTable } from './format.ts';
import { reportView, type ReportOptions, type ReportView, type Table } from './view.ts';
import { plannerSummaryMarkdown } from './planner-render.ts';
import { decisionBlockMarkdown, decisionBlockTerminal } from './decision-render.ts';
import { textTable } from '../util/text.ts';

const table = (t: Table) => mdTable(t.head, t.rows.map((row) => row.cells));

export function referenceLine(v: ReportView): string {
  return `Reference: ${v.reference.label} = **${v.reference.value} per object**.`;
}

/** The summary table and, under it, what each design is. */
export function summaryTableMarkdown(v: ReportView): string {
  const legend = v.legend.map((d) => `- ${mdCode(d.id)}: ${mdCell(d.title)}${d.note ? ` — ${mdCell(d.note)}` : ''}`);
  return `${table(v.summary)}\n\n${legend.join('\n')}`;
}

export function crossCheckMarkdown(v: ReportView): string {
  return v.crossCheck ? `${v.crossCheck.intro}\n\n${table(v.crossCheck.table)}` : '';
}

export function stepsMarkdown(v: ReportView): string {
  return v.steps ? `${v.steps.intro}\n\n${table(v.steps.table)}` : '';
}

export function tokenModelMarkdown(v: ReportView): string {
  return `${v.model.intro}\n\n${table(v.model.table)}`;
}

export function latencyMarkdown(v: ReportView): string {
  return v.latency ? `${v.latency.intro}\n\n${table(v.latency.table)}` : '';
}

/** The answer, first: under its own heading, or nothing when the results hold no design. */
export function decisionSection(v: ReportView): string[] {
  return v.decision ? ['## Decision', decisionBlockMarkdown(v.decision)] : [];
}

/** Columns that do not tell the designs apart, and the bench's own tokens. */
export function appendixColumnsMarkdown(v: ReportView): string {
  return v.appendixColumns ? `${v.appendixColumns.intro}\n\n${table(v.appendixColumns.table)}` : '';
}

export function failuresMarkdown(v: ReportView): string {
  return v.failures.map((f) => `- ${mdCode(f.id)} N = ${f.n}, trial ${f.trial}: ${mdCell(f.reason)}`).join('\n');
}

export function metaMarkdown(v: ReportView): string {
  return v.meta.map((m) => `- ${m.key}: ${m.value.code ? mdCode(m.value.text) : m.value.text}`).join('\n');
}

/** The appendix: what the method needs and a decision does not (moved columns, one-off steps, extra charts). */
function appendixParts(v: ReportView, charts: ChartRef[] = []): string[] {
  const cols = appendixColumnsMarkdown(v);
  const stepText = stepsMarkdown(v);
  if (!cols && !stepText && !charts.length) return [];
  return [
    '## Appendix: method',
    ...(cols ? ['### Other measured columns', cols] : []),
    ...charts.map(chartMarkdown),
    ...(stepText ? ['### One-off steps', stepText] : []),
  ];
}

export function summaryMarkdown(r: Results, opts: ReportOptions = {}): string {
  const v = reportView(r, opts);
  const parts = [
    `# ${v.title}`,
    v.machine,
    ...v.banners.map((b) => `> **${b}**`),
    ...decisionSection(v),
    '## Per-object memory',
    v.method,
    summaryTableMarkdown(v),
    referenceLine(v),
  ];
  const cross = crossCheckMarkdown(v);
  if (cross) parts.push('## Cross-check and where the bytes go', cross);
  parts.push("## Tokens and memory in the post's scenario", tokenModelMarkdown(v));
  parts.push(...plannerSummaryMarkdown(r));
  const lat = latencyMarkdown(v);
  if (lat) parts.push('## Latency per lookup', lat);
  const failed = failuresMarkdown(v);
  if (failed) parts.push('## Failed samples', failed);
  parts.push(...appendixParts(v));
  parts.push('## Run', metaMarkdown(v));
  return parts.join('\n\n') + '\n';
}

export interface ChartRef {
  name: string;
  title: string;
  caption: string;
  lesson?: string;
}

const chartMarkdown = (c: ChartRef) => `### ${c.title}\n\n![${c.title}](charts/${c.name}.png)\n\n${c.lesson ? `${c.lesson}\n\n` : ''}*${c.caption}*`;

export function reportReadme(r: Results, charts: ChartRef[], opts: ReportOptions = {}): string {
  const v = reportView(r, opts);
  const [method, deciding] = [charts.filter((c) => isMethodChart(c.name)), charts.filter((c) => !isMethodChart(c.name))];
  const parts = [
    `# ${v.title}`,
    v.machine,
    ...v.banners.map((b) => `> **${b}**`),
    ...decisionSection(v),
    '## Per-object memory',
    v.method, summaryTableMarkdown(v), referenceLine(v),
    'Full page with vector charts: [index.html](index.html) · every sample: [samples.csv](samples.csv) · ' +
      'the tables alone: [summary.md](summary.md)',
    ...(deciding.length ? ['## Charts', ...deciding.map(chartMarkdown)] : []),
  ];
  const cross = crossCheckMarkdown(v);
  if (cross) parts.push('## Cross-check and where the bytes go', cross);
  parts.push("## Tokens and memory in the post's scenario", tokenModelMarkdown(v));
  const lat = latencyMarkdown(v);
  if (lat) parts.push('## Latency per lookup', lat);
  const failed = failuresMarkdown(v);
  if (failed) parts.push('## Failed samples', failed);
  parts.push(...appendixParts(v, method));
  parts.push('## How to read this', ...v.howToRead);
  parts.push('## Run', metaMarkdown(v));
  return parts.join('\n\n') + '\n';
}

/** Narrow plain-text form for the terminal: value ± CI half-width, no R², one line per design. */
export function summaryTerminal(r: Results, opts: ReportOptions = {}): string {
  const v = reportView(r, opts);
  const { head, rows, footer } = v.terminal;
  return [...textTable(head, rows), footer].join('\n') + '\n' + (v.decision ? `\n${decisionBlockTerminal(v.decision)}` : '');
}

/** The decision alone for the terminal: what `npm run bench` ends with. */
export function decisionTerminalText(r: Results, opts: ReportOptions = {}): string {
  const v = reportView(r, opts);
  return v.decision ? decisionBlockTerminal(v.decision) : '';
}
