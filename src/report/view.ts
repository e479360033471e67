// The report's content, built once from a results object: every table (cells already formatted), every paragraph
// and every metadata row. The renderers (Markdown: src/report/markdown.ts; HTML:
// src/report/html.ts; terminal) only lay this out: they take no figure from the results themselves, so the
// summary, the page and the README cannot say different things.
import { isResolved } from '../analysis/headline.ts';
import { METRIC_NAMES, metricInfo, metricLabel, type MetricName } from '../results/metrics.ts';
import type { DesignResult, Results, SnapshotCheck } from '../results/schema.ts';
import { modelSectionOf } from '../model/results-model.ts';
import { decide } from '../model/decision.ts';
import { DEFAULT_SCENARIO, PRESETS } from '../model/planner.ts';
import type { KeystoneCpu } from '../results/keystone-load.ts';
import { decisionBlock, type DecisionBlock } from './decision-render.ts';
import {
  UNIT_NOTE, formatBytes, formatBytesCI, formatCount, formatSignedBytesCI, formatDate, formatDuration, formatMs, formatPart, formatR2, formatSlope,
  isSynthetic, machineLine, protocolText, sizesText, storeName, storesText, storesUsed,
} from './format.ts';

/** One formatted table cell. Renderers decide how `code`, `num`, `slope`, `muted` and `detail` look. */
export interface Cell {
  text: string;
  /** an identifier (design id, command): `code` in Markdown, <code> in HTML */
  code?: boolean;
  /** right-aligned number */
  num?: boolean;
  /** a resolved per-object slope, split for HTML: value, [CI], R² */
  slope?: { value: string; ci: string; r2: string };
  /** not measured, or not resolved: shown as text, never as a number */
  muted?: boolean;
  /** extra lines under the cell in HTML (a design's title and note); Markdown lists them under the table */
  detail?: string[];
}

export interface Row {
  cells: Cell[];
  /** the design the row is about, when it is about one */
  design?: string;
  status?: DesignResult['status'];
}

export interface Table {
  id: string;
  head: string[];
  rows: Row[];
}

/** What a report needs beyond the results file: Keystone's CPU per operation, when keystone-load results exist. */
export interface ReportOptions {
  keystone?: KeystoneCpu;
}

export interface ReportView {
  title: string;
  machine: string;
  banners: string[];
  /** the answer, first: the recommended design per runtime for the planner's default deployment (null: no design) */
  decision: DecisionBlock | null;
  /** how the per-object figures were made, one sentence over the summary */
  method: string;
  summary: Table;
  /** columns left out of the summary because they are empty or repeat another, with why, and the bench's own tokens */
  appendixColumns: { intro: string; table: Table } | null;
  /** design id, title and note, listed under the Markdown table */
  legend: Array<{ id: string; title: string; note?: string }>;
  reference: { label: string; value: string };
  crossCheck: { intro: string; table: Table } | null;
  /** one-off steps at N = 0 that are set apart from the slopes, where their CI excludes 0 */
  steps: { intro: string; table: Table } | null;
  model: { intro: string; table: Table };
  /** tinybench timings and Aodh's notifier, with the Keystone they ran against */
  latency: { intro: string; table: Table } | null;
  failures: Array<{ id: string; n: number; trial: number; reason: string }>;
  howToRead: string[];
  meta: Array<{ key: string; value: Cell }>;
  terminal: { head: string[]; rows: string[][]; footer: string };
}

const txt = (text: string, extra: Partial<Cell> = {}): Cell => ({ text, ...extra });
const code = (text: string): Cell => ({ text, code: true });

/** Every metric of the registry some design has a per-object figure for, in its order. */
export function measuredMetrics(r: Results): MetricName[] {
  return METRIC_NAMES.filter((m) => r.designs.some((d) => d.perObject[m]));
}

// A column that can repeat another: an outside reading of the same thing, or a subset of the same count.
const REPEATS: Array<[MetricName, MetricName]> = [['pidusageRss', 'rss'], ['fds', 'sockets'], ['storeRss', 'storeUsedMemory']];

/** Both say the same: neither is a number, or both are and their 95 % CIs overlap. */
function agrees(a: DesignResult['perObject'][MetricName], b: DesignResult['perObject'][MetricName]): boolean {
  if (!a || !b) return !a && !b;
  const [ra, rb] = [isResolved(a), isResolved(b)];
  return ra !== rb ? false : !ra || (a.ci95[0] <= b.ci95[1] && b.ci95[0] <= a.ci95[1]);
}

/**
 * Which measured metrics decide (the summary's columns) and which go to the appendix: a column no design has a
 * resolved figure in, or one that agrees with its partner column in every design.
 */
export function splitMetrics(r: Results): { main: MetricName[]; appendix: Array<{ metric: MetricName; why: string }> } {
  const main: MetricName[] = [];
  const appendix: Array<{ metric: MetricName; why: string }> = [];
  for (const m of measuredMetrics(r)) {
    const partner = REPEATS.find(([a]) => a === m)?.[1];
    const with_ = r.designs.filter((d) => d.perObject[m]);
    if (!r.designs.some((d) => isResolved(d.perObject[m]))) appendix.push({ metric: m, why: 'not resolved in any design' });
    else if (partner && with_.every((d) => agrees(d.perObject[m], d.perObject[partner]))) {
      appendix.push({ metric: m, why: `agrees with ${metricLabel(partner)} in every design (95 % CIs overlap)` });
    } else main.push(m);
  }
  return { main, appendix };
}

/** Columns of the summary table: the metrics that decide (see splitMetrics). */
export function summaryMetrics(r: Results): MetricName[] {
  return splitMetrics(r).main;
}

/** What the bench itself had Keystone mint while building a design's samples: a cost of measuring, not of the design. */
export const BENCH_TOKENS_HEAD = 'Tokens minted by the bench';

/** "heapUsed per object"; store columns name the stores measured: "Redis used_memory / memcached bytes per key". */
export function metricHeader(m: MetricName, r?: Results): string {
  const stores = metricInfo(m).per === 'key' ? [...new Set((r?.designs ?? []).filter((d) => d.perObject[m] && d.store).map((d) => d.store!))] : [];
  const label = stores.length ? [...new Set(stores.map((s) => metricLabel(m, s)))].join(' / ') : metricLabel(m);
  return `${label} per ${metricInfo(m).per}`;
}

export function statusText(d: DesignResult): string {
  return d.status === 'partial' ? `partial (${d.failures.length} failed)` : d.status;
}

/** A per-object figure as a cell: value, CI and R² when resolved; the "not resolved at N = …" text otherwise. */
export function slopeCell(d: DesignResult, m: MetricName): Cell {
  const s = d.perObject[m];
  if (!s) return txt('–', { muted: true });
  const text = formatSlope(s, m);
  if (!isResolved(s) || metricInfo(m).unit !== 'bytes') return txt(text, { muted: !isResolved(s) });
  const [value, ci] = formatBytesCI(s.bytes, s.ci95).split(' [');
  return txt(text, { slope: { value, ci: `[${ci}`, r2: formatR2(s.r2) } });
}

function summaryTable(r: Results): Table {
  const metrics = summaryMetrics(r);
  return {
    id: 'summary',
    head: ['Design', 'Status', ...metrics.map((m) => metricHeader(m, r))],
    rows: r.designs.map((d) => ({
      design: d.id, status: d.status,
      cells: [
        { text: d.id, code: true, detail: [d.title, ...(d.note ? [d.note] : [])] },
        txt(statusText(d)), ...metrics.map((m) => slopeCell(d, m)),
      ],
    })),
  };
}

function appendixColumns(r: Results): ReportView['appendixColumns'] {
  if (!r.designs.length) return null;
  const moved = splitMetrics(r).appendix;
  const why = moved.map((x) => `${metricHeader(x.metric, r)}: ${x.why}`);
  return {
    intro: `Measured, but left out of the summary because they do not tell the designs apart${why.length ? ` — ${why.join('; ')}` : ''}. ` +
      `${BENCH_TOKENS_HEAD}: the tokens this benchmark had Keystone mint while building the design's samples (sizes × trials and ` +
      'warm-ups), a cost of measuring; what a design costs Keystone in a deployment is its tokens/day in the decision and the model. ' +
      'Every reading of every sample: samples.csv.',
    table: {
      id: 'appendix-columns',
      head: ['Design', ...moved.map((x) => metricHeader(x.metric, r)), BENCH_TOKENS_HEAD],
      rows: r.designs.map((d) => ({
        design: d.id,
        cells: [code(d.id), ...moved.map((x) => slopeCell(d, x.metric)), txt(formatCount(d.tokensIssued), { num: true })],
      })),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Where the bytes go: the heap snapshot's owners of one entry, grouped by property path.

export interface OwnerGroup {
  /** property path inside the entry ("session.pool.queue.tail.list"), "(entry)" for the entry object, or "other" */
  owner: string;
  /** the constructors found under that path ("Array", "string") */
  types: string[];
  bytes: number;
}

/** An entry's bytes by owner path (constructors of one path summed), largest first, the rest as "other". */
export function ownerGroups(s: SnapshotCheck, top = 6): OwnerGroup[] {
  const groups = new Map<string, OwnerGroup>();
  for (const b of s.breakdown) {
    const m = /^(.*) \(([^()]*)\)$/.exec(b.owner);
    const [owner, type] = b.owner === 'other' || !m ? [b.owner, ''] : [m[1], m[2]];
    const g = groups.get(owner) ?? { owner, types: [], bytes: 0 };
    if (type && !g.types.includes(type)) g.types.push(type);
    g.bytes += b.bytesPerEntry;
    groups.set(owner, g);
  }
  const sorted = [...groups.values()].filter((g) => g.owner !== 'other').sort((a, b) => b.bytes - a.bytes);
  const rest = sorted.slice(top);
  const other = groups.get('other')?.bytes ?? 0;
  const out = sorted.slice(0, top);
  const otherBytes = other + rest.reduce((a, g) => a + g.bytes, 0);
  if (otherBytes > 0) out.push({ owner: 'other', types: [], bytes: otherBytes });
  return out;
}

/** "session.pool.queue.tail.list (Array)": an owner group as text. */
export const ownerText = (g: OwnerGroup) =>
  g.owner === 'other' ? 'other owners' : g.owner === '(entry)' ? 'the entry object itself' : `${g.owner}${g.types.length ? ` (${g.types.join(', ')})` : ''}`;

const pct = (part: number, whole: number) => `${Math.round((part / whole) * 100)} %`;

/** What a reader learns from the bytes-by-owner chart, in this run's numbers. */
export function bytesLesson(r: Results): string {
  const designs = r.designs.filter((d) => d.snapshot && d.snapshot.breakdown.length);
  if (!designs.length) return '';
  const big = [...designs].sort((a, b) => b.snapshot!.retainedPerEntry - a.snapshot!.retainedPerEntry)[0];
  const total = big.snapshot!.retainedPerEntry;
  const groups = ownerGroups(big.snapshot!, 50).filter((g) => g.owner !== 'other');
  const parts: string[] = [];
  const poolGroups = groups.filter((g) => /pool|dispatcher|agent/i.test(g.owner));
  const pool = poolGroups.reduce((a, g) => a + g.bytes, 0);
  const catalog = groups.filter((g) => /catalog/i.test(g.owner)).reduce((a, g) => a + g.bytes, 0);
  if (poolGroups.length) {
    const [first] = poolGroups;
    const root = poolGroups.map((g) => g.owner).reduce((a, o) => { let i = 0; while (i < a.length && a[i] === o[i]) i++; return a.slice(0, i); });
    const rootText = root.replace(/\.$/, '');
    parts.push(`its own connection pool (\`${rootText || first.owner}\`…) holds at least ${formatBytes(pool)} (${pct(pool, total)})` +
      (poolGroups.length > 1 ? `, ${formatBytes(first.bytes)} of it ${/queue/i.test(first.owner) ? 'its request queue ' : 'in '}(\`${first.owner}\`)` : '') +
      ': one pool shared by every cached trust would save about that per entry');
  }
  if (catalog > 0) parts.push(`the token's service catalog ${formatBytes(catalog)} (${pct(catalog, total)}): a token without a catalog (\`?nocatalog\`) would save that`);
  if (!parts.length && groups[0]) parts.push(`its largest owner is \`${groups[0].owner}\` with ${formatBytes(groups[0].bytes)} (${pct(groups[0].bytes, total)})`);
  let text = `One \`${big.id}\` entry retains ${formatBytes(total)} in its ${big.runtime === 'python' ? 'object graph' : 'heap snapshot'}; ${parts.join('; ')}.`;
  const small = designs.filter((d) => d !== big);
  if (small.length) {
    const sizes = small.map((d) => d.snapshot!.retainedPerEntry);
    const first = (d: DesignResult) => ownerGroups(d.snapshot!, 1)[0];
    const owners = [...new Set(small.map((d) => first(d)?.owner).filter(Boolean))].map((o) => `\`${o}\``);
    text += ` The other designs keep ${formatBytes(Math.min(...sizes))}–${formatBytes(Math.max(...sizes))} per entry, ` +
      `the largest part being ${owners.join(' or ')}.`;
  }
  return [text, whatIfLesson(r)].filter(Boolean).join(' ');
}

/** What a reader learns from the RSS split: how much of a cached object's RSS is the object itself. */
export function rssLesson(r: Results): string {
  const designs = r.designs.filter((d) => d.rssBreakdown);
  if (!designs.length) return '';
  const rss = (d: DesignResult) => d.rssBreakdown!.liveHeap + d.rssBreakdown!.heapSlack + d.rssBreakdown!.outsideHeap;
  const big = [...designs].sort((a, b) => rss(b) - rss(a))[0];
  const b = big.rssBreakdown!;
  let text = `For \`${big.id}\`, ${formatBytes(b.liveHeap)} of its ${formatBytes(rss(big))} RSS per object is live heap ` +
    `(${pct(b.liveHeap, rss(big))})${b.liveHeap >= 0.9 * rss(big) ? ': the objects themselves, so a smaller entry makes a smaller process' : ''}; V8's heap slack adds ` +
    `${formatPart(b.heapSlack)} and memory outside the V8 heap ${formatPart(b.outsideHeap)}.`;
  const small = designs.filter((d) => d !== big);
  if (small.length) {
    const rest = (d: DesignResult) => Math.abs(d.rssBreakdown!.heapSlack) + Math.abs(d.rssBreakdown!.outsideHeap);
    const range = `${formatBytes(Math.min(...small.map(rss)))}–${formatBytes(Math.max(...small.map(rss)))} per object`;
    const most = [...small].sort((a, b) => rest(b) / rss(b) - rest(a) / rss(a))[0];
    text += small.every((d) => rest(d) < 0.1 * rss(d))
      ? ` For the ${small.length === 1 ? 'other design' : `other ${small.length} designs`} (${range}) slack and outside-heap parts are a few bytes either way: RSS per object is the live heap.`
      : ` Of the other designs (${range}), \`${most.id}\` has the most beside its live heap: ${formatPart(most.rssBreakdown!.heapSlack)} slack and ` +
        `${formatPart(most.rssBreakdown!.outsideHeap)} outside the heap per object (${pct(rest(most), rss(most))}).`;
  }
  return text;
}

/** The slope a design's snapshot explains: the V8 heap's, or the bytes python's allocators were asked for. */
export const snapshotSlopeMetric = (d: DesignResult): 'heapUsed' | 'tracemalloc' => (d.runtime === 'python' ? 'tracemalloc' : 'heapUsed');

/** A python design's RSS per object split by who sees the bytes, or why it is not. */
function pythonSplitText(d: DesignResult): string {
  const p = d.pythonRssSplit;
  if (!p) return d.status !== 'failed' && d.snapshot ? 'RSS or tracemalloc not resolved' : '–';
  const head = `${formatPart(p.retained)} objects + ${formatPart(p.allocatorOverhead)} not in any object's size`;
  if (p.native === undefined) return `${head}; allocators' count not resolved at N = ${formatCount(p.allocators?.atN ?? 0)}`;
  const sum = p.sumRelativeDifference!;
  return `${head} + ${formatPart(p.native)} allocator slack and native = ${sum >= 0 ? '+' : '−'}${Math.abs(sum * 100).toFixed(1)} % of RSS${Math.abs(sum) > 0.1 ? ' ⚠' : ''}`;
}

/** What the what-if designs save: each against the design it changes, by their headline figures. */
export function whatIfLesson(r: Results): string {
  const parts = r.designs.flatMap((d) => {
    const base = d.whatIf && r.designs.find((b) => b.id === d.whatIf!.of);
    if (!base?.headline || !d.headline || base.headline.metric !== d.headline.metric) return [];
    const saved = base.headline.bytes - d.headline.bytes;
    return [`\`${d.id}\` (${d.whatIf!.change}) keeps ${formatBytes(d.headline.bytes)} per entry against \`${base.id}\`'s ${formatBytes(base.headline.bytes)}: ` +
      `${saved >= 0 ? 'saves' : 'costs'} ${formatBytes(Math.abs(saved))} (${pct(Math.abs(saved), base.headline.bytes)})`];
  });
  return parts.length ? `What-ifs, measured as designs of their own (${r.designs.find((d) => d.headline)?.headline?.metric === 'rss' ? 'RSS' : 'headline'} per entry): ${parts.join('; ')}.` : '';
}

function crossCheck(r: Results): ReportView['crossCheck'] {
  const rows: Row[] = r.designs.filter((d) => d.snapshot || d.rssBreakdown || d.pythonRssSplit).map((d) => {
    const s = d.snapshot;
    const diff = s?.relativeDifference;
    const slope = snapshotSlopeMetric(d);
    const top = s ? ownerGroups(s, 3).filter((g) => g.owner !== 'other').map((g) => `${ownerText(g)} ${formatBytes(g.bytes)}`).join('; ') : '–';
    const rb = d.rssBreakdown;
    return {
      design: d.id,
      cells: [
        code(d.id),
        slopeCell(d, slope),
        txt(s ? `${formatBytes(s.retainedPerEntry)} (N = ${s.n})` : '–', { muted: !s }),
        txt(diff === undefined || !isResolved(d.perObject[slope]) ? '–' : `${diff >= 0 ? '+' : '−'}${Math.abs(diff * 100).toFixed(1)} %${Math.abs(diff) > 0.1 ? ' ⚠' : ''}`, { num: true }),
        txt(top),
        d.runtime === 'python' ? txt(pythonSplitText(d), { muted: !d.pythonRssSplit?.native })
          : txt(rb ? `${formatPart(rb.liveHeap)} live heap + ${formatPart(rb.heapSlack)} slack + ${formatPart(rb.outsideHeap)} outside`
            : d.runtime === 'node' && d.status !== 'failed' ? `not resolved at N = ${formatCount(Math.max(0, ...(d.sizes ?? [])))}` : '–', { muted: !rb }),
      ],
    };
  });
  if (!rows.length) return null;
  return {
    intro: 'heapUsed slope beside the retained size of one held entry in a V8 heap snapshot (dominator tree); for python designs the tracemalloc ' +
      'slope of a worker of their own beside the same analysis of the python object graph (gc referents, sys.getsizeof); ⚠ marks a difference above 10 %. ' +
      'Top owners: the property path of the entry that holds the bytes (constructors of one path summed). RSS split, node: live heap, V8 heap slack ' +
      '(heapTotal − heapUsed), outside the V8 heap (RSS − heapTotal), per object; python: objects (retained), bytes Python\'s allocators handed out ' +
      'beyond the objects\' sizes (tracemalloc − retained), and pymalloc/malloc slack plus native memory (the allocators\' own count − tracemalloc), their ' +
      'sum against the RSS slope; "≈ 0" where a difference of two slopes came out negative (noise).',
    table: { id: 'cross-check', head: ['Design', 'heapUsed / tracemalloc slope', 'snapshot retained', 'difference', 'top owners per entry', 'RSS per object'], rows },
  };
}

function steps(r: Results): ReportView['steps'] {
  const rows: Row[] = r.designs.flatMap((d) => METRIC_NAMES.flatMap((m) => {
    const slope = d.perObject[m];
    const z = slope?.zeroStep;
    const out: Row[] = [];
    if (z && (z.ci95[0] > 0 || z.ci95[1] < 0)) {
      out.push({ design: d.id, cells: [code(d.id), txt(metricLabel(m)), txt(`${formatSignedBytesCI(z.bytes, z.ci95)} at N = 0`, { num: true }), slopeCell(d, m)] });
    }
    for (const rel of slope?.releases ?? []) {
      out.push({ design: d.id, cells: [code(d.id), txt(metricLabel(m)),
        txt(`−${formatBytes(rel.bytes)} at N = ${formatCount(rel.n)} in trial ${rel.trial}: given back`, { num: true }), slopeCell(d, m)] });
    }
    return out;
  }));
  if (!rows.length) return null;
  return {
    intro: 'Slopes are fitted to the readings taken while building (N > 0). The reading at N = 0, right after the warm-up\'s ' +
      'entries were dropped, can sit off that line by a fixed amount: memory the warm-up freed and the build reuses, a pool or ' +
      'buffer grown once. That step (the fit\'s intercept − the N = 0 reading, mean over trials, 95 % CI) is a one-off cost, ' +
      'listed here where its CI excludes 0, and never counted per object. A process\'s RSS can also drop by megabytes at one ' +
      'reading while it holds more entries (the allocator or V8 handing pages back to the OS): such a drop, far outside the ' +
      'trial\'s usual step, is taken out of that trial\'s line and listed here ("given back").',
    table: { id: 'zero-steps', head: ['Design', 'Metric', 'one-off step', 'per-object slope'], rows },
  };
}

// ---------------------------------------------------------------------------------------------------------
// The token model for the post's scenario.

function model(r: Results): ReportView['model'] {
  const section = modelSectionOf(r);
  const sc = section.scenario;
  const byId = new Map(r.designs.map((d) => [d.id, d]));
  const intro = `The post's scenario: ${sc.alarms.toLocaleString('en-US')} alarms, ${sc.firingFraction * 100} % firing every ` +
    `${sc.evaluationIntervalS} s, ${sc.trusts.toLocaleString('en-US')} trusts, ${sc.workers} notifier workers, ${sc.tokenLifetimeS} s ` +
    `tokens re-minted ${sc.refreshMarginS} s before expiry. Tokens/day from the token model (${sc.tokenModel}; worst case: every alarm ` +
    `repeats its action); memory = the figure that stands for each design (RSS per cached object; heapUsed + external, marked "heap", ` +
    `where the RSS slope is not resolved) × the trusts one worker caches in a day, paid in every worker; a shared store ` +
    `(${storesUsed(r)}) = its memory per key × keys alive, paid once. A model, not a measurement at that scale.`;
  const head = ['Design', 'Cache', 'Tokens/day', 'of no cache', 'Worst case tokens/day', 'Entries/worker', 'Per object',
    'Memory per worker', 'Shared store'];
  // the worst case has its own column; its no-cache row (1.44 B) is in the chart
  const rows: Row[] = section.rows.filter((x) => x.id !== 'no-cache-worst').map((x) => {
    const d = byId.get(x.id);
    const cache = x.cache === 'none' ? 'none' : x.cache === 'per-worker' ? `per worker (×${sc.workers})` : `shared ${storeName(d)}`;
    const none = x.cache === 'none';
    return {
      design: d?.id,
      cells: [
        code(x.id), txt(cache), txt(formatCount(x.tokensPerDay), { num: true }),
        txt(`${Number((x.shareOfNoCache * 100).toPrecision(3))} %`, { num: true }),
        txt(formatCount(x.worstCaseTokensPerDay), { num: true }),
        txt(none ? '–' : formatCount(x.entriesPerWorker), { num: true }),
        none ? txt('–', { num: true }) : x.bytesPerObject === null
          ? txt(`not resolved${x.status && x.status !== 'ok' ? ` (${x.status})` : ''}`, { muted: true })
          : txt(`${formatBytes(x.bytesPerObject)}${x.bytesMetric === 'heapUsed' ? ' (heap)' : ''}`, { num: true }),
        txt(none || x.bytesPerWorker === null ? '–' : formatBytes(x.bytesPerWorker), { num: true }),
        txt(x.sharedStoreBytes === null ? (x.cache === 'shared' && x.sharedStoreKeys !== null ? `${formatCount(x.sharedStoreKeys)} keys` : '–')
          : `${formatBytes(x.sharedStoreBytes)} (${formatCount(x.sharedStoreKeys ?? 0)} keys)`, { num: true }),
      ],
    };
  });
  return { intro, table: { id: 'token-model', head, rows } };
}

/** The Keystone a run's timings were taken against, in words. */
export function keystoneText(r: Results): string {
  const k = r.meta.keystone;
  return k.kind === 'real' ? `the real Keystone (${k.version}${k.server ? `, ${k.server}` : ''})` : "the harness's Keystone stand-in on 127.0.0.1";
}

/** Aodh's own notifier, measured: its time per notification as a latency row (no percentiles: one mean per run). */
export const NOTIFIER_OPERATION = "Aodh's notifier, no cache: one notification (installed TrustRestAlarmNotifier)";

function latency(r: Results): ReportView['latency'] {
  const n = r.notifier;
  if (!r.latency?.length && !n) return null;
  const dash = txt('–', { num: true });
  const rows: Row[] = [];
  if (n) {
    rows.push({ cells: [txt(NOTIFIER_OPERATION), txt('–'), txt(formatMs(n.msPerNotification), { num: true }), dash, dash, dash,
      txt(formatCount(n.notifications), { num: true })] });
  }
  for (const l of r.latency ?? []) {
    rows.push({
      design: l.design ?? undefined,
      cells: [
        txt(l.name), l.design ? code(l.design) : txt('–'),
        ...[formatMs(l.meanMs), formatMs(l.p50Ms), formatMs(l.p99Ms), `±${l.rme.toFixed(1)} %`, formatCount(l.samples)].map((v) => txt(v, { num: true })),
      ],
    });
  }
  const intro = `Against ${keystoneText(r)}.` +
    (n ? ` Aodh's notifier: the mean wall time per notification of ${formatCount(n.notifications)} notifications posted by the installed ` +
      `notifier (new client, ${Number(n.tokensPerNotification.toFixed(2))} token each, counted by ${n.tokensCountedBy === 'keystone' ? 'Keystone' : 'the client'}); ` +
      'the other rows time each design\'s own code: node designs with tinybench, python designs in a python process of their own.' : '') +
    (r.designs.some((d) => d.runtime === 'python') && !(r.latency ?? []).some((l) => r.designs.find((d) => d.id === l.design)?.runtime === 'python')
      ? ' Python designs were not timed in this run.' : '');
  return { intro, table: { id: 'latency', head: ['Operation', 'Design', 'mean', 'p50', 'p99', '±rme', 'samples'], rows } };
}

/** Plain-text paragraphs under "How to read this" in the page and the README. */
function howToRead(r: Results): string[] {
  const stores = storesUsed(r);
  return [
    `Per-object cost is the least-squares slope of memory over N. Each trial is ${r.meta.protocol === 'incremental' ? 'one worker process read as it grows' : 'a fresh process per size'}, measured at ` +
      `${sizesText(r)}; each trial's slope is one estimate, the figure shown is their mean and the ` +
      `brackets its 95 % confidence interval over the trials (up to ${r.meta.trials}). R² says how close all the samples ` +
      `lie to one straight line (1.000 = perfectly linear).`,
    `A figure whose interval includes 0, or whose sign is impossible (memory per object below 0), is not resolved at the N ` +
      `measured: tables and charts say "not resolved at N = …" (with the N it would need, when that can be said) instead of a number, ` +
      `and no chart draws it as a bar. One rule picks the figure that stands for a design in the projection and the model: RSS when ` +
      `resolved, else the V8 heap (+ external when resolved), else tracemalloc.`,
    `heapUsed counts live JavaScript objects after forced garbage collection and moves by bytes. RSS counts whole ` +
      `resident pages of the process, including memory the allocator keeps after freeing it and V8 heap growth in ` +
      `steps, so its slope is noisier: compare its interval with heapUsed's. pidusage RSS is the same process's RSS ` +
      `read from outside through /proc; external is memory held by native buffers outside the V8 heap.`,
    `Store figures are per key in the store server (${stores}): Redis used_memory from INFO memory, memcached's bytes from ` +
      `stats, and the server process's RSS. They are paid once per store server, shared by every worker; a worker's own ` +
      `bytes are paid again in every worker process.`,
    'Where the bytes go: a V8 heap snapshot of a node worker holding a few hundred entries, each entry\'s retained size split by the ' +
      'property path that owns it (dominator tree), beside the heapUsed slope; and RSS per object split into live heap ' +
      '(the heapUsed slope), V8 heap slack (heapTotal − heapUsed) and memory outside the V8 heap (RSS − heapTotal).',
    `The scale chart is a projection: the figure that stands for each design multiplied by 10,000, 100,000 and 1,000,000 cached ` +
      `trusts. Nothing was measured at those N; fragmentation and GC headroom will make real numbers differ.`,
    `The post's ${formatBytes(r.reference.bytesPerObject)} is a single ps RSS difference between 0 and 1000 objects ` +
      `in a Python 2 process (2015), without an interval: read it as an order of magnitude.`,
    `The tokens-and-memory chart and table are the token model (src/model/tokens.ts) for the post's scenario, not a ` +
      `measurement: a cache mints a token per trust when the cached one is within the 120 s refresh margin and a ` +
      `notification needs it, in every worker unless the cache is shared; memory multiplies this run's per-object cost by ` +
      `the trusts a worker caches in a day. \`npm run model -- --simulate\` checks the token arithmetic against these designs run by ` +
      `real worker processes on an accelerated clock.`,
    `${BENCH_TOKENS_HEAD} (appendix) counts the tokens Keystone minted for this benchmark while the design's samples were built: ` +
      `a cost of measuring, not the design's tokens/day. ${UNIT_NOTE}.`,
  ];
}

function meta(r: Results): ReportView['meta'] {
  const m = r.meta;
  const ks = m.keystone;
  const rows: Array<[string, Cell]> = [
    ['Node / V8', txt(`${m.node} / ${m.v8}`)],
    ['Platform', txt(`${m.platform} ${m.arch}`)],
    ['CPU', txt(`${m.cpu} × ${m.cpus}`)],
    ['Memory', txt(formatBytes(m.totalMemBytes))],
    ['Command', code(m.command)],
    ['Commit', txt(m.commit)],
    ['Started', txt(formatDate(m.startedAt))],
    ['Duration', txt(formatDuration(m.durationMs))],
    ['Sizes × trials', txt(`${sizesText(r)} × up to ${m.trials} trials (${protocolText(r)})`)],
    ['Keystone', txt(`${ks.kind}, ${ks.version} (${ks.url}${ks.catalogServices ? `, ${ks.catalogServices} catalog services` : ''})${ks.server ? `, served by ${ks.server}` : ks.kind === 'stand-in' ? ', HTTP/1.1 keep-alive' : ''}${
      ks.tokenPath === 'in-process' ? '; node workers take tokens from its issuer in-process (--token-path)' : ''}`)],
    ['Stores', txt(storesText(m))],
    ['Tool', txt(`${m.tool} ${m.version}`)],
  ];
  return rows.map(([key, value]) => ({ key, value }));
}

/** Narrow cells for the terminal: value ± CI half-width, or "not resolved"; no R². */
function terminal(r: Results): ReportView['terminal'] {
  const short = (d: DesignResult, m: MetricName) => {
    const s = d.perObject[m];
    if (!s) return '–';
    if (!isResolved(s)) return 'not resolved';
    return `${formatBytes(s.bytes)} ±${formatBytes((s.ci95[1] - s.ci95[0]) / 2)}`;
  };
  return {
    head: ['design', 'status', 'heapUsed', 'RSS', 'store/key', 'bench tokens'],
    rows: r.designs.map((d) => [d.id, d.status, short(d, 'heapUsed'), short(d, 'rss'), short(d, 'storeUsedMemory'), formatCount(d.tokensIssued)]),
    footer: `per object (slope over N, ±95 % CI), ${UNIT_NOTE}; post (2015): ${formatBytes(r.reference.bytesPerObject)}`,
  };
}

export function reportView(r: Results, opts: ReportOptions = {}): ReportView {
  return {
    title: 'Keystone-client cache designs: which to adopt, and what each costs',
    machine: machineLine(r),
    banners: [
      isSynthetic(r) ? 'Synthetic fixture data: these numbers were not measured.' : '',
      r.meta.partial ? 'Interrupted run: this report holds only the samples that completed.' : '',
    ].filter(Boolean),
    decision: r.designs.length ? decisionBlock(decide(r, PRESETS[DEFAULT_SCENARIO], opts.keystone)) : null,
    method: `Per-object cost = least-squares slope of memory over N (${sizesText(r)}; ` +
      `up to ${r.meta.trials} trials, ${protocolText(r)}): mean over trials, its 95 % CI in brackets, ` +
      `R² of the fit over all samples; "not resolved" where the CI includes 0. ${UNIT_NOTE}.`,
    summary: summaryTable(r),
    appendixColumns: appendixColumns(r),
    legend: r.designs.map((d) => ({ id: d.id, title: d.title, ...(d.note ? { note: d.note } : {}) })),
    reference: { label: r.reference.label, value: formatBytes(r.reference.bytesPerObject) },
    crossCheck: crossCheck(r),
    steps: steps(r),
    model: model(r),
    latency: latency(r),
    failures: r.designs.flatMap((d) => d.failures.map((f) => ({ id: d.id, n: f.n, trial: f.trial, reason: f.reason }))),
    howToRead: howToRead(r),
    meta: meta(r),
    terminal: terminal(r),
  };
}
