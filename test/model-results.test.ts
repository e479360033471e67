// Results → token model for the post's scenario (a pure function), and where it shows up: results JSON section,
// summary.md, README.md, index.html and the token-model chart.
import { describe, expect, it } from 'vitest';
import { cacheOf, modelSectionOf, tokenModelSection } from '../src/model/results-model.ts';
import { modelScenario } from '../src/model/tokens.ts';
import { summaryMarkdown } from '../src/report/markdown.ts';
import { reportHtml } from '../src/report/html.ts';
import { reportReadme } from '../src/report/markdown.ts';
import { allCharts, tokenModelChart } from '../src/report/charts.ts';
import { renderSvg } from '../src/report/render.ts';
import { syntheticResults, UNAVAILABLE_DESIGN } from './fixtures/synthetic-results.ts';

const rssOf = (r: ReturnType<typeof syntheticResults>, id: string) => {
  const d = r.designs.find((x) => x.id === id)!;
  return (d.perObject.rss ?? d.perObject.pidusageRss)!.bytes;
};

describe('tokenModelSection', () => {
  const r = syntheticResults({ unavailable: true });
  const section = tokenModelSection(r);
  const row = (id: string) => section.rows.find((x) => x.id === id)!;

  it("reproduces the post's figures: 14.4 M/day without a cache, 1.44 B in the worst case", () => {
    expect(section.scenario).toMatchObject({ alarms: 1_000_000, firingFraction: 0.01, evaluationIntervalS: 60, trusts: 10_000, workers: 4, tokenLifetimeS: 3600 });
    expect(row('no-cache').tokensPerDay).toBe(14_400_000);
    expect(row('no-cache').bytesPerWorker).toBe(0);
    expect(row('no-cache-worst').tokensPerDay).toBe(1_440_000_000);
    expect(row('no-cache').worstCaseTokensPerDay).toBe(1_440_000_000);
  });

  it('one row per measured design, then the post; per-worker and shared caches mint what the model says', () => {
    expect(section.rows.map((x) => x.id)).toEqual(['no-cache', 'no-cache-worst', ...r.designs.map((d) => d.id), 'post-2015']);
    const perWorker = modelScenario({ design: 'per-worker' }).tokensPerDay;
    const shared = modelScenario({ design: 'shared' }).tokensPerDay;
    expect(Math.round(perWorker)).toBe(929_032);
    expect(Math.round(shared)).toBe(244_068);
    for (const id of ['full-client', 'token-record', 'python-keystoneclient', 'post-2015']) {
      expect(row(id).cache).toBe('per-worker');
      expect(row(id).tokensPerDay).toBe(perWorker);
    }
    for (const id of ['redis-handle', 'redis-handle-encrypted']) {
      expect(row(id).cache).toBe('shared');
      expect(row(id).tokensPerDay).toBe(shared);
    }
    // caching caps the worst case near one token per trust per usable period per cache
    expect(row('full-client').worstCaseTokensPerDay).toBeLessThan(4 * 10_000 * (86_400 / 3480) + 1e-6);
  });

  it('memory per worker = measured RSS per object × entries a worker holds; Redis = used_memory per key × live keys', () => {
    const fc = row('full-client');
    expect(fc.entriesPerWorker).toBeCloseTo(10_000, 3);
    expect(fc.bytesPerObject).toBe(rssOf(r, 'full-client'));
    expect(fc.bytesPerWorker).toBeCloseTo(rssOf(r, 'full-client') * fc.entriesPerWorker, 3);
    const rh = row('redis-handle');
    const redisPerKey = r.designs.find((d) => d.id === 'redis-handle')!.perObject.storeUsedMemory!.bytes;
    expect(rh.redisBytesPerKey).toBe(redisPerKey);
    expect(rh.sharedStoreKeys).toBeCloseTo(modelScenario({ design: 'shared' }).sharedStoreKeys!, 6);
    expect(rh.sharedStoreBytes).toBeCloseTo(redisPerKey * rh.sharedStoreKeys!, 3);
    expect(row('token-record').sharedStoreBytes).toBeNull();
    // python designs report RSS through pidusage; an unavailable design has no cost
    expect(row('python-keystoneclient').bytesPerObject).toBe(rssOf(r, 'python-keystoneclient'));
    expect(row(UNAVAILABLE_DESIGN)).toMatchObject({ status: 'unavailable', bytesPerObject: null, bytesPerWorker: null });
    expect(row('post-2015').bytesPerWorker).toBeCloseTo(r.reference.bytesPerObject * 10_000, 0);
  });

  it('is pure: same input, same output; scenario overrides apply', () => {
    expect(tokenModelSection(r)).toEqual(section);
    const two = tokenModelSection(r, { workers: 2 });
    expect(two.scenario.workers).toBe(2);
    expect(two.rows.find((x) => x.id === 'full-client')!.tokensPerDay).toBeLessThan(row('full-client').tokensPerDay);
    // the topology comes from the design's descriptor, whatever the design is called
    const design = (id: string) => r.designs.find((d) => d.id === id)!;
    expect(cacheOf(design('redis-handle'))).toBe('shared');
    expect(cacheOf(design('full-client'))).toBe('per-worker');
    expect(cacheOf({ ...design('full-client'), topology: 'shared' })).toBe('shared');
    // a schema 1 file has no topology: a design that used a store is shared, one that did not is per worker
    const { topology: _t, store: _s, ...untyped } = design('redis-handle');
    expect(cacheOf({ ...untyped, store: 'redis' })).toBe('shared');
    expect(cacheOf(untyped)).toBe('shared'); // it has store figures
    expect(cacheOf({ perObject: {} })).toBe('per-worker');
  });

  it('uses a stored section when it is well-formed and recomputes a missing or malformed one', () => {
    expect(modelSectionOf(r)).toEqual(section); // no section in the fixture: recomputed
    const stored = { ...r, model: { ...section, rows: section.rows.map((x) => ({ ...x, tokensPerDay: x.tokensPerDay + 1 })) } };
    expect(modelSectionOf(stored).rows[0].tokensPerDay).toBe(14_400_001);
    const broken = { ...r, model: { scenario: section.scenario, rows: [{ id: 'x' }] } } as unknown as typeof r;
    expect(modelSectionOf(broken)).toEqual(section);
  });
});

describe('token model in the report', () => {
  const r = syntheticResults();

  it('summary.md and README.md have the table', () => {
    for (const md of [summaryMarkdown(r), reportReadme(r, [])]) {
      expect(md).toContain("## Tokens and memory in the post's scenario");
      expect(md).toMatch(/^\| `no-cache` \| none \| 14,400,000 \| 100 % \| 1,440,000,000 \|/m);
      expect(md).toMatch(/^\| `full-client` \| per worker \(×4\) \| 929,032 \| 6\.45 % \| /m);
      expect(md).toMatch(/^\| `redis-handle` \| shared Redis \| 244,068 \| 1\.69 % \| .* keys\) \|$/m);
    }
  });

  it('index.html has the table, escaped', () => {
    const html = reportHtml(r, []);
    expect(html).toContain('<table id="token-model">');
    expect(html).toContain('<code>post-2015</code>');
    expect(html).toContain('The post&#39;s scenario: 1,000,000 alarms');
  });

  it('the chart is in the report and renders both panels with their labels', async () => {
    expect(allCharts(r).map((c) => c.name)).toContain('token-model');
    const svg = await renderSvg(tokenModelChart(r).spec);
    for (const text of ['tokens per day', 'cache memory per worker', '14.4 M', '1.44 B', '929 k (6.5 % of no cache)', '244 k',
      'nothing cached', 'in Redis, once', 'no cache, worst case']) {
      expect(svg).toContain(text);
    }
  });
});
