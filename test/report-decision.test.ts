// The report leads with the decision and keeps to what decides (issue 23, items 1 and 8): the decision block first
// in results/README.md, summary.md and index.html and last on the terminal; columns that are empty or repeat another,
// the bench's own tokens, and the method charts and one-off steps in an appendix; the latency chart whole, with
// Aodh's notifier and the Keystone it ran against.
import { describe, expect, it } from 'vitest';
import { decide, type Choice } from '../src/model/decision.ts';
import { DEFAULT_SCENARIO, PRESETS } from '../src/model/planner.ts';
import { latencyChart } from '../src/report/charts.ts';
import { reportHtml } from '../src/report/html.ts';
import { reportReadme, summaryMarkdown, summaryTerminal } from '../src/report/markdown.ts';
import { textWidth } from '../src/report/render.ts';
import { BENCH_TOKENS_HEAD, NOTIFIER_OPERATION, reportView, splitMetrics } from '../src/report/view.ts';
import type { Results, Slope } from '../src/results/schema.ts';
import { syntheticResults } from './fixtures/synthetic-results.ts';

const NOTIFIER = { notifications: 50, received: 50, withToken: 50, tokensPerNotification: 1, msPerNotification: 3.65,
  rssGrowthPerNotification: 6144, tokensCountedBy: 'keystone' as const };
// with a python design that fits the default deployment (a million trusts, ~213,000 cached per worker)
const withNotifier = (): Results => ({ ...syntheticResults({ pythonTokenRecord: true }), notifier: { ...NOTIFIER } });
const CHARTS = ['per-object', 'bytes-by-owner', 'rss-split', 'memory-vs-n', 'projection', 'token-model', 'latency']
  .map((name) => ({ name, title: `chart ${name}`, caption: `caption ${name}`, svg: `<svg id="${name}"></svg>` }));

describe('the decision comes first', () => {
  const r = withNotifier();
  const d = decide(r, PRESETS[DEFAULT_SCENARIO]);
  const py = d.choices.python as Choice;
  const node = d.choices.node as Choice;

  it('the fixture has a python and a node choice to name', () => {
    expect(py.id).toMatch(/^python-|^aodh-/);
    expect(['full-client', 'token-record', 'redis-handle', 'redis-handle-encrypted']).toContain(node.id);
  });

  it('results/README.md and summary.md open with it, naming both choices with their figures', () => {
    for (const md of [reportReadme(r, CHARTS), summaryMarkdown(r)]) {
      const headings = md.split('\n').filter((l) => l.startsWith('## '));
      expect(headings[0]).toBe('## Decision');
      const block = md.slice(md.indexOf('## Decision'), md.indexOf(headings[1]));
      expect(block).toContain(`**Python (what Aodh can adopt): \`${py.id}\`**`);
      expect(block).toContain(`**Node: \`${node.id}\`**`);
      for (const figure of ['per entry', 'per worker', 'tokens/day', 'fewer than without a cache', 'socket']) expect(block).toContain(figure);
      expect(block).toContain('**Why the others lose:**\n- Python: ');
    }
  });

  it('index.html puts it before any table or chart', () => {
    const html = reportHtml(r, CHARTS);
    const at = html.indexOf('<section id="decision">');
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(html.indexOf('<table'));
    expect(at).toBeLessThan(html.indexOf('<figure'));
    expect(html).toContain(`<b>Python (what Aodh can adopt): <code>${py.id}</code></b>`);
    expect(html).not.toMatch(/\*\*|`/); // the Markdown marks became tags
  });

  it('the terminal summary ends with it, in lines a terminal shows whole', () => {
    const t = summaryTerminal(r);
    const tail = t.slice(t.lastIndexOf('Decision\n'));
    expect(tail).toContain(`- Python (what Aodh can adopt): ${py.id} — `);
    expect(tail).toContain(`- Node: ${node.id} — `);
    expect(tail.trimEnd().split('\n').at(-1)).toMatch(/\.$/);
    for (const line of t.split('\n')) expect(line.length).toBeLessThanOrEqual(120);
  });

  it('gives Keystone cores when Keystone CPU figures are given, and none otherwise', () => {
    expect(reportView(r).decision!.choices.join(' ')).not.toContain('Keystone');
    const v = reportView(r, { keystone: { msPerToken: 200, msPerValidation: 18, source: 'k.json' } });
    expect(v.decision!.choices[0]).toMatch(/Keystone [\d.]+ cores on average against [\d.]+ without a cache/);
    expect(v.decision!.basis).toContain('k.json');
  });
});

describe('the page keeps to what decides', () => {
  it('moves a column that is never resolved, or agrees with its partner in every design, to the appendix', () => {
    const r = syntheticResults();
    for (const x of r.designs) {
      if (x.perObject.external) x.perObject.external = { ...x.perObject.external, resolution: { resolved: false, atN: 10_000 } };
      if (x.perObject.rss) x.perObject.pidusageRss = { ...x.perObject.rss };
    }
    const { main, appendix } = splitMetrics(r);
    expect(main).toContain('rss');
    expect(main).not.toContain('external');
    expect(main).not.toContain('pidusageRss');
    expect(appendix.find((a) => a.metric === 'external')!.why).toBe('not resolved in any design');
    expect(appendix.find((a) => a.metric === 'pidusageRss')!.why).toMatch(/^agrees with RSS in every design/);
    const v = reportView(r);
    expect(v.summary.head.join(' ')).not.toMatch(/external|pidusage|Tokens/);
    expect(v.appendixColumns!.table.head).toEqual(expect.arrayContaining(['external per object', 'pidusage RSS per object', BENCH_TOKENS_HEAD]));

    // one design whose outside reading disagrees (CIs apart): the column tells something, it stays
    const fc = r.designs.find((x) => x.id === 'full-client')!;
    const rss = fc.perObject.rss as Slope;
    fc.perObject.pidusageRss = { ...rss, bytes: rss.bytes * 2, ci95: [rss.ci95[0] * 2, rss.ci95[1] * 2] };
    expect(splitMetrics(r).main).toContain('pidusageRss');
  });

  it('says what the bench\'s own tokens are, and never calls them "Tokens issued"', () => {
    const r = withNotifier();
    const all = [reportReadme(r, CHARTS), summaryMarkdown(r), reportHtml(r, CHARTS)].join('\n');
    expect(all).not.toContain('Tokens issued');
    expect(all).toContain(BENCH_TOKENS_HEAD);
    expect(reportView(r).appendixColumns!.intro).toContain('a cost of measuring');
  });

  it('puts the method charts and the one-off steps in the appendix, after the deciding charts', () => {
    const r = withNotifier();
    const md = reportReadme(r, CHARTS);
    const appendix = md.indexOf('## Appendix: method');
    expect(appendix).toBeGreaterThan(0);
    for (const name of ['memory-vs-n', 'rss-split']) expect(md.indexOf(`(charts/${name}.png)`)).toBeGreaterThan(appendix);
    for (const name of ['per-object', 'projection', 'token-model', 'latency']) expect(md.indexOf(`(charts/${name}.png)`)).toBeLessThan(appendix);
    if (reportView(r).steps) expect(md.indexOf('### One-off steps')).toBeGreaterThan(appendix);
    const html = reportHtml(r, CHARTS);
    const htmlAppendix = html.indexOf('<section id="appendix">');
    for (const name of ['memory-vs-n', 'rss-split']) expect(html.indexOf(`id="chart-${name}"`)).toBeGreaterThan(htmlAppendix);
    expect(html.indexOf('id="chart-per-object"')).toBeLessThan(htmlAppendix);
  });
});

describe('latency: whole labels, Aodh\'s notifier, the Keystone', () => {
  it('shows the notifier\'s time per notification in the table and the chart', () => {
    const r = withNotifier();
    const v = reportView(r);
    expect(v.latency!.table.rows[0].cells.map((c) => c.text)).toEqual([NOTIFIER_OPERATION, '–', '3.65 ms', '–', '–', '–', '50']);
    const spec = JSON.stringify(latencyChart(r)!.spec);
    expect(spec).toContain(NOTIFIER_OPERATION);
    expect(spec).toContain('mean 3.65 ms (50 notifications)');
  });

  it('sizes the label axis to the longest operation name', () => {
    const r = withNotifier();
    r.latency!.push({ name: 'redis-handle-encrypted: first miss (authenticate + store), a long name', design: 'redis-handle-encrypted',
      meanMs: 0.7, p50Ms: 0.6, p99Ms: 3, rme: 6, samples: 400, opsPerSec: 1400 });
    const spec = latencyChart(r)!.spec as unknown as { layer: Array<{ encoding: { y: { axis: { labelLimit: number } } } }> };
    const longest = Math.max(...[NOTIFIER_OPERATION, ...r.latency!.map((l) => l.name)].map((n) => textWidth(n, 11)));
    for (const layer of spec.layer) expect(layer.encoding.y.axis.labelLimit).toBeGreaterThanOrEqual(longest);
  });

  it('names the Keystone the timings ran against: the stand-in, or the real one with its server', () => {
    const r = withNotifier();
    expect(JSON.stringify(latencyChart(r)!.spec.title)).toContain('stand-in');
    r.meta.keystone = { kind: 'real', url: 'http://127.0.0.1:5000/v3', version: 'v3.14', server: 'uwsgi 2.0.21-debian, 4 processes' };
    expect(JSON.stringify(latencyChart(r)!.spec.title)).toContain('the real Keystone (v3.14, uwsgi 2.0.21-debian, 4 processes)');
    expect(reportView(r).latency!.intro).toMatch(/^Against the real Keystone/);
  });
});
