// The planner's output (src/model/planner.ts) as terminal text, Markdown and JSON, and the two scenarios'
// planner tables for the Markdown summary. The HTML report's version is src/report/planner-html.ts; both take
// their cells from plannerCells() so every output says the same thing.
import { formatBytes, formatCount } from './format.ts';
import type { Results } from '../results/schema.ts';
import { PRESETS, plan, scenarioText, type Plan, type PlanRow } from '../model/planner.ts';
import { SCENARIO_NAMES } from '../model/scenarios.ts';
import { RUNTIME_CHOICES, type RuntimeChoice } from '../model/decision.ts';
import { KEYSTONE_NUMERIC_HEADS, keystoneTable } from './planner-keystone.ts';

/** The plan of every runtime (src/model/decision.ts) and the one selected with --runtime. */
export interface RuntimePlans {
  runtime: RuntimeChoice;
  plans: Record<RuntimeChoice, Plan>;
}

const RUNTIME_TEXT: Record<RuntimeChoice, string> = { python: 'python, what Aodh can adopt', node: 'node', any: 'any runtime' };
import { firingText } from '../model/firing.ts';
import { textTable } from '../util/text.ts';

const mb = formatBytes;
const pct = (v: number) => `${Number((v * 100).toPrecision(3))} %`;
const METRIC_TEXT: Record<string, string> = { rss: 'RSS', pidusageRss: 'RSS', heapUsed: 'heap', tracemalloc: 'tracemalloc' };

/** The deployment in one line. */
export function deploymentLine(p: Pick<Plan, 'deployment' | 'trusts' | 'workers' | 'alarmsWithTrustActions' | 'assumptions'>): string {
  const d = p.deployment;
  const trusts = d.scenario === 'trust-per-alarm'
    ? `${formatCount(d.alarms)} alarms × trust share ${d.trustShare} → ${formatCount(p.trusts)} trusts (one per alarm)`
    : `${formatCount(d.alarms)} alarms${d.trustShare === 1 ? '' : ` (${formatCount(p.alarmsWithTrustActions)} with trust actions)`} sharing ${formatCount(p.trusts)} trusts`;
  return `${trusts}; ${pct(d.firingFraction)} firing every ${d.evaluationIntervalS} s; ` +
    `${d.hosts} host${d.hosts === 1 ? '' : 's'} × ${d.workersPerHost} worker${d.workersPerHost === 1 ? '' : 's'} = ${p.workers} notifier workers; ` +
    `${d.tokenLifetimeS} s tokens re-minted ${d.refreshMarginS} s before expiry; budget ${mb(d.budgetBytes)} and ${formatCount(d.fdLimit)} descriptors per worker; ${assumptionsLine(p)}`;
}

/** The model in force: how alarms fire and what a cache drops (every output names it). */
export function assumptionsLine(p: Pick<Plan, 'deployment' | 'assumptions'>): string {
  const a = p.assumptions;
  const firing = firingText({ model: a.firingModel, fraction: p.deployment.firingFraction, episodeMinutes: a.episodeMinutes ?? undefined });
  const idle = a.idleLimitS === null ? '' : ` (an entry lasts ~${formatCount(a.idleLimitS / 60)} min idle: Che's approximation)`;
  return `firing model ${a.firingModel}${a.firingModel === 'episodes' ? ` (${firing})` : ''}; eviction ${a.eviction}${idle}`;
}

export const PLANNER_NOTE = 'Tokens and entries: the evaluator\'s ticks under the firing model and eviction named above (src/model/firing.ts). ' +
  'Descriptors/worker: measured open descriptors per entry × entries; a design over the limit does not fit. Store down: tokens/s Keystone ' +
  'sees with the whole store gone (every notification mints) and in the usable period after one of K servers dies (clients fail over). ' +
  'Validations/day: each new token is a miss in keystonemiddleware\'s token cache at the receiving API, so one ' +
  'validation per token (a lower bound). Memory per worker: the entries a worker caches in a day × the design\'s headline bytes per entry; ' +
  'a shared design also needs its store (bytes per key × keys alive), paid once on the store\'s hosts and not counted in the worker budget. ' +
  'A design whose figure is not resolved is listed, never recommended. A model, not a measurement at that scale.';

export const PLANNER_HEAD = ['Design', 'Topology', 'Per entry', 'Tokens/day', 'Validations/day', 'Entries/worker', 'Memory/worker',
  'Fds/worker', 'Store (paid once)', 'Store down: tokens/s', 'Fits'];

/** Columns of one figure each (a count or a size, or a placeholder for none), right-aligned in every output; the
 * others read as text: a figure with its metric, the store with its keys, the store-down rates, the verdict. */
const NUMERIC_HEADS = new Set(['Tokens/day', 'Validations/day', 'Entries/worker', 'Memory/worker', 'Fds/worker', ...KEYSTONE_NUMERIC_HEADS]);

/** Which columns of a planner table (PLANNER_HEAD, or the Keystone table's) are right-aligned, by their heads. */
export function numericColumns(head: readonly string[]): boolean[] {
  return head.map((h) => NUMERIC_HEADS.has(h));
}

/** One row's cells, shared by the terminal, Markdown and HTML tables. */
export function plannerCells(p: Plan, x: PlanRow): string[] {
  const perEntry = x.bytesPerEntry === null ? 'not resolved'
    : `${formatBytes(x.bytesPerEntry)}${x.bytesMetric ? ` (${METRIC_TEXT[x.bytesMetric] ?? x.bytesMetric})` : ''}`;
  const store = x.topology !== 'shared' ? '–'
    : x.storeBytes === null ? `${formatCount(x.storeKeys ?? 0)} keys × not resolved`
      : `${mb(x.storeBytes)} (${formatCount(x.storeKeys ?? 0)} keys × ${formatBytes(x.storeBytesPerKey!)})`;
  const over = [x.memoryPerWorker !== null && x.memoryPerWorker > p.deployment.budgetBytes ? 'memory' : '', x.fdsFit === false ? 'descriptors' : '']
    .filter(Boolean).join(', ');
  const fits = x.fits === null ? `not resolved: ${x.why}` : x.fits ? (p.recommendation?.id === x.id ? 'yes, recommended' : 'yes') : `no (${over})`;
  const fds = x.fdsPerWorker === null ? 'not measured' : formatCount(x.fdsPerWorker);
  return [x.id, x.topology, perEntry, formatCount(x.tokensPerDay), formatCount(x.validationsPerDay), formatCount(x.entriesPerWorker),
    x.memoryPerWorker === null ? '–' : mb(x.memoryPerWorker), fds, store, storeDownCell(x), fits];
}

const rate = (v: number) => (v >= 100 ? formatCount(v) : Number(v.toPrecision(3)).toLocaleString('en-US'));

/** Shared designs: normal → whole store down, and one of K servers lost (the usable period after it). */
export function storeDownCell(x: PlanRow): string {
  const s = x.storeDown;
  if (!s) return '–';
  const one = s.oneServer ? `; 1 of ${s.oneServer.servers} lost: ${rate(s.oneServer.perS)} for a period (+${formatCount(s.oneServer.extraTokens)})` : '';
  return `${rate(s.normalPerS)} → ${rate(s.wholeStorePerS)} all down${one}`;
}

export function noCacheLine(p: Plan): string {
  return `Without a cache: ${formatCount(p.noCache.tokensPerDay)} tokens/day, ${formatCount(p.noCache.validationsPerDay)} validations/day.`;
}

export function recommendationLine(p: Plan, label?: string): string {
  const head = `Recommendation${label ? ` (${label})` : ''}`;
  return p.recommendation ? `${head}: ${p.recommendation.id} — ${p.recommendation.reason}.` : `${head}: none — ${p.noRecommendation}.`;
}

/** One recommendation per runtime shown: python, node and any for --runtime any, else the one selected. */
export function recommendationLines(p: Plan, rp?: RuntimePlans): string[] {
  if (!rp) return [recommendationLine(p)];
  return (rp.runtime === 'any' ? RUNTIME_CHOICES : [rp.runtime]).map((rt) => recommendationLine(rp.plans[rt], RUNTIME_TEXT[rt]));
}

/** The planner's tables with the shared layout, numbers right-aligned by their headings. */
function table(head: string[], rows: string[][]): string[] {
  const right = numericColumns(head);
  return textTable(head, rows, (i) => right[i]);
}

/** The terminal output of `npm run plan`. */
export function planText(p: Plan, source?: string, rp?: RuntimePlans): string {
  return [
    `scenario ${p.deployment.scenario}: ${scenarioText(p.deployment.scenario)}${rp && rp.runtime !== 'any' ? `; ${rp.runtime} designs only (--runtime)` : ''}`,
    `deployment: ${deploymentLine(p)}`,
    ...(source ? [`per-entry figures: ${source}`] : []),
    noCacheLine(p),
    '',
    ...table(PLANNER_HEAD, p.rows.map((x) => plannerCells(p, x))),
    '',
    ...recommendationLines(p, rp),
    ...(p.notResolved.length ? [`Not resolved (not considered): ${p.rows.filter((x) => !x.resolved).map((x) => `${x.id} (${x.why})`).join('; ')}.`] : []),
    ...((k) => (k ? ['', k.lead, '', ...table(k.head, k.rows), '', k.note] : []))(keystoneTable(p)),
    '',
    PLANNER_NOTE,
  ].join('\n') + '\n';
}

function cell(s: string): string {
  return s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function mdTable(head: string[], rows: string[][]): string {
  const right = numericColumns(head);
  return [
    `| ${head.map(cell).join(' | ')} |`,
    `|${head.map((_, i) => (right[i] ? ' ---: ' : ' --- ')).join('|')}|`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}

/** The plan as Markdown: the deployment, the table and the recommendation (no heading). */
export function planMarkdown(p: Plan, source?: string, rp?: RuntimePlans): string {
  const rows = p.rows.map((x) => {
    const c = plannerCells(p, x);
    return [`\`${c[0]}\``, ...c.slice(1)];
  });
  return [
    `${scenarioText(p.deployment.scenario)[0].toUpperCase()}${scenarioText(p.deployment.scenario).slice(1)} — ${deploymentLine(p)}.` +
      `${source ? ` Per-entry figures: ${source}.` : ''} ${noCacheLine(p)}`,
    mdTable(PLANNER_HEAD, rows),
    recommendationLines(p, rp).map((l) => `**${l}**`).join('\n\n'),
    ...((k) => (k ? [k.lead, mdTable(k.head, k.rows), k.note] : []))(keystoneTable(p)),
  ].join('\n\n');
}

/** The plan as JSON: the computed plan as is. */
/** The plan as JSON: the computed plan as is (its `recommendation` is the selected runtime's), and with runtime
 * plans, `runtime` and `recommendations` keyed by runtime (`id` null, with the reason, when nothing fits). */
export function planJson(p: Plan, source?: string, rp?: RuntimePlans): string {
  const recommendations = rp ? Object.fromEntries(RUNTIME_CHOICES.map((rt) => {
    const q = rp.plans[rt];
    return [rt, q.recommendation ?? { id: null, reason: q.noRecommendation ?? '' }];
  })) : undefined;
  return JSON.stringify({ ...(source ? { source } : {}), ...(rp ? { runtime: rp.runtime } : {}), ...p, ...(recommendations ? { recommendations } : {}) }, null, 2) + '\n';
}

/** Both scenarios' plans at their preset deployments (`npm run plan -- --scenario …` with no other flags). */
export function presetPlans(r: Results): Plan[] {
  return SCENARIO_NAMES.map((s) => plan(r, PRESETS[s]));
}

/** The summary's section: a heading, the note, and one table per scenario. An empty list when there are no designs. */
export function plannerSummaryMarkdown(r: Results): string[] {
  if (r.designs.length === 0) return [];
  return [
    '## Planning a deployment',
    `Each measured design in the post's deployment under two trust models (\`npm run plan -- --scenario post\` and ` +
      `\`--scenario trust-per-alarm\`; other deployments: \`npm run plan -- --help\`). ${PLANNER_NOTE}`,
    ...presetPlans(r).flatMap((p) => [`### Scenario \`${p.deployment.scenario}\``, planMarkdown(p)]),
  ];
}
