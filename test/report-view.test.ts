// The view model is built once and every renderer lays it out: the same figures in summary.md, README.md and the
// page; unresolved figures as text everywhere (tables and charts); store figures named after the design's store.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportReadme, summaryMarkdown, summaryTerminal } from '../src/report/markdown.ts';
import { allCharts, bytesByOwnerChart, perObjectChart, projectionChart, rssSplitChart, tokenModelChart } from '../src/report/charts.ts';
import { reportHtml } from '../src/report/html.ts';
import { renderSvg } from '../src/report/render.ts';
import { bytesLesson, ownerGroups, reportView, rssLesson } from '../src/report/view.ts';
import type { DesignResult, Results } from '../src/results/schema.ts';
import { syntheticResults } from './fixtures/synthetic-results.ts';

const ROOT = join(import.meta.dirname, '..');

/** The synthetic results with a memcached design beside the Redis ones and one unresolved RSS slope. */
function withMemcachedAndUnresolved(): Results {
  const r = syntheticResults({ unavailable: true });
  const redis = r.designs.find((d) => d.id === 'redis-handle')!;
  const mc: DesignResult = structuredClone(redis);
  mc.id = 'memcached-handle';
  mc.title = 'handle, record in memcached';
  mc.store = 'memcached';
  r.designs.push(mc);
  const tr = r.designs.find((d) => d.id === 'token-record')!;
  tr.perObject.rss = { bytes: -35, ci95: [-80, 10], r2: 0.01, trialSlopes: [-30, -40, -35], intercept: 5e7,
    resolution: { resolved: false, atN: 10_000, below: 10, needsN: 250_000 } };
  delete tr.rssBreakdown;
  return r;
}

describe('view model', () => {
  const r = withMemcachedAndUnresolved();
  const v = reportView(r);

  it('names store columns after the stores measured, and the model table after each design\'s store', () => {
    expect(v.summary.head).toContain('Redis used_memory / memcached bytes per key');
    expect(v.summary.head.join(' ')).not.toContain('store memory');
    expect(v.summary.head.filter((h) => h.startsWith('heapUsed'))).toEqual(['heapUsed per object']);
    const cache = (id: string) => v.model.table.rows.find((row) => row.cells[0].text === id)!.cells[1].text;
    expect(cache('redis-handle')).toBe('shared Redis');
    expect(cache('memcached-handle')).toBe('shared memcached');
    expect(v.model.table.head).not.toContain('Shared Redis');
  });

  it('writes an unresolved figure as "not resolved at N = …", never as a number', () => {
    const tr = v.summary.rows.find((row) => row.design === 'token-record')!;
    const rss = tr.cells[v.summary.head.indexOf('RSS per object')];
    expect(rss.text).toBe('not resolved at N = 10,000 (< 10 B), needs N ≈ 250,000');
    expect(rss.slope).toBeUndefined();
    expect(rss.muted).toBe(true);
    expect(v.terminal.rows.find((row) => row[0] === 'token-record')![3]).toBe('not resolved');
  });

  it('lays the same cells out in summary.md, README.md and the page', () => {
    const md = summaryMarkdown(r);
    const readme = reportReadme(r, []);
    const html = reportHtml(r, []);
    expect(md).toContain('not resolved at N = 10,000 (< 10 B), needs N ≈ 250,000');
    expect(readme).toContain('not resolved at N = 10,000 (< 10 B), needs N ≈ 250,000');
    expect(html).toContain('not resolved at N = 10,000 (&#60; 10 B), needs N ≈ 250,000');
    expect(html).not.toMatch(/<b>-\d/); // no negative figure in bold
    for (const row of v.meta) expect(html).toContain(`<th scope="row">${row.key}</th>`);
    for (const row of v.meta) expect(readme).toContain(`- ${row.key}: `);
    expect(md).toContain('Redis used_memory / memcached bytes per key');
    expect(readme).toContain('## How to read this');
  });

  it('keeps renderers apart: each imports the view model and format helpers, not another renderer', () => {
    const src = (p: string) => readFileSync(join(ROOT, p), 'utf8');
    expect(src('src/report/html.ts')).not.toMatch(/from '\.\.\/export\/markdown\.ts'|from '\.\/readme\.ts'/);
    expect(src('src/report/markdown.ts')).not.toMatch(/from '\.\.\/report\/html\.ts'/);
    for (const f of ['src/report/html.ts', 'src/report/markdown.ts']) expect(src(f)).toMatch(/from '(\.\.\/report\/|\.\/)view\.ts'/);
  });

  it('groups an entry\'s owners by property path, largest first, the rest as other', () => {
    const g = ownerGroups({ n: 300, retainedPerEntry: 1000, breakdown: [
      { owner: 'a.catalog (string)', bytesPerEntry: 300 }, { owner: 'a.catalog (Object)', bytesPerEntry: 200 },
      { owner: 'pool.queue (Array)', bytesPerEntry: 400 }, { owner: 'x (string)', bytesPerEntry: 40 }, { owner: 'other', bytesPerEntry: 60 },
    ] }, 2);
    expect(g).toEqual([
      { owner: 'a.catalog', types: ['string', 'Object'], bytes: 500 },
      { owner: 'pool.queue', types: ['Array'], bytes: 400 },
      { owner: 'other', types: [], bytes: 100 },
    ]);
  });

  it('says what sharing the pool and dropping the catalog would save, in the run\'s numbers', () => {
    const fc = r.designs.find((d) => d.id === 'full-client')!;
    fc.snapshot = { n: 300, retainedPerEntry: 34352, breakdown: [
      { owner: 'session.pool.queue.tail.list (Array)', bytesPerEntry: 16432 },
      { owner: 'session.auth.accessInfo.body.token.catalog (string)', bytesPerEntry: 4536 },
      { owner: 'session.auth.accessInfo.body.token.catalog (Object)', bytesPerEntry: 3224 },
      { owner: 'other', bytesPerEntry: 10160 },
    ] };
    const lesson = bytesLesson(r);
    expect(lesson).toContain('`session.pool.queue.tail.list`');
    expect(lesson).toContain('16.0 KB (48 %)');
    expect(lesson).toMatch(/catalog 7\.6 KB \(23 %\)/);
    expect(rssLesson(r)).toMatch(/^For `full-client`, 30\.0 KB of its 45\.3 KB RSS per object is live heap/);
  });
});

describe('charts', () => {
  const r = withMemcachedAndUnresolved();

  it('draws no bar for an unresolved figure: a text row saying so', () => {
    const rows = (perObjectChart(r).spec as unknown as { data: { values: Array<{ design: string; metric: string; bar: boolean; label: string; x: number }> } }).data.values;
    const rss = rows.find((x) => x.design === 'token-record' && x.metric === 'RSS per object')!;
    expect(rss.bar).toBe(false);
    expect(rss.label).toMatch(/^not resolved at N = 10,000/);
    for (const x of rows.filter((y) => y.bar)) expect(x.x).toBeGreaterThan(0);
    expect(rows.some((x) => x.metric === 'memcached bytes per key')).toBe(true);
    expect(rows.some((x) => x.metric.startsWith('store memory'))).toBe(false);
  });

  it('labels store rows after the store in the projection and token model charts', async () => {
    const proj = JSON.stringify(projectionChart(r).spec);
    expect(proj).toContain('memcached-handle: memcached server (shared)');
    expect(proj).toContain('redis-handle: Redis server (shared)');
    const svg = await renderSvg(tokenModelChart(r).spec);
    expect(svg).toContain('in memcached, once');
    expect(svg).toContain('in Redis, once');
  });

  it('adds the bytes-by-owner and RSS-split charts, with what a reader learns', async () => {
    const names = allCharts(r).map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['per-object', 'bytes-by-owner', 'rss-split', 'memory-vs-n', 'projection', 'token-model', 'latency']));
    const bytes = bytesByOwnerChart(r)!;
    expect(bytes.lesson).toMatch(/retains/);
    const svg = await renderSvg(bytes.spec);
    expect(svg).toContain('heapUsed slope');
    const split = rssSplitChart(r)!;
    const svg2 = await renderSvg(split.spec);
    expect(svg2).toContain('live heap (heapUsed)');
    // token-record's RSS is not resolved: written, not drawn
    expect(svg2).toContain('RSS per object not resolved at N = 10,000');
  });

  it('leaves the two charts out when no design has a snapshot or an RSS split', () => {
    const r2 = syntheticResults();
    for (const d of r2.designs) { delete d.snapshot; delete d.rssBreakdown; d.runtime = 'python'; }
    expect(bytesByOwnerChart(r2)).toBeUndefined();
    expect(rssSplitChart(r2)).toBeUndefined();
  });

  it('keeps the terminal form narrow', () => {
    const t = summaryTerminal(r);
    expect(Math.max(...t.split('\n').map((l) => l.length))).toBeLessThan(120);
  });
});
