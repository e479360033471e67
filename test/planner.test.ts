// The planner (src/model/planner.ts) on a small deployment whose arithmetic is checked by hand, the
// one-trust-per-alarm scenario and the receiving side (src/model/scenarios.ts), the renderers, the flags, and
// one spawned CLI call for the exit code of a bad flag.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/cli/errors.ts';
import { DEFAULT_RESULTS, parsePlanArgs } from '../src/cli/plan-args.ts';
import { PRESETS, plan, type Deployment } from '../src/model/planner.ts';
import { planJson, planMarkdown, planText, plannerSummaryMarkdown, presetPlans } from '../src/report/planner-render.ts';
import { modelNamedScenario, scenarioParams } from '../src/model/scenarios.ts';
import { modelScenario } from '../src/model/tokens.ts';
import { plannerHtml } from '../src/report/planner-html.ts';
import type { DesignResult, Results, Slope } from '../src/results/schema.ts';
import { syntheticResults } from './fixtures/synthetic-results.ts';
import { runScript } from './helpers/run-cli.ts';

const slope = (bytes: number, resolved = true): Slope => ({
  bytes, ci95: resolved ? [bytes * 0.9, bytes * 1.1] : [-bytes, bytes * 2], r2: 0.99, trialSlopes: [bytes], intercept: 0,
  resolution: { resolved, atN: 1000 },
});
const design = (id: string, topology: 'per-worker' | 'shared', perObject: DesignResult['perObject'], extra: Partial<DesignResult> = {}): DesignResult => ({
  id, title: `design ${id}`, topology, status: 'ok', samples: [], failures: [], tokensIssued: 0, perObject, ...extra,
});

// Hand-made results: one figure per design, chosen to make the products easy to check.
const DESIGNS: DesignResult[] = [
  design('pw-rss', 'per-worker', { rss: slope(1000), heapUsed: slope(700) }),
  // RSS not resolved: the headline is heapUsed + external = 400 + 100
  design('pw-heap', 'per-worker', { rss: slope(50, false), heapUsed: slope(400), external: slope(100) }),
  design('sh', 'shared', { rss: slope(10, false), heapUsed: slope(300), storeUsedMemory: slope(600) }, { store: 'redis' }),
  // nothing resolved: the smallest on paper, and the fewest tokens, but never recommended
  design('sh-unresolved', 'shared', { rss: slope(5, false), heapUsed: slope(50, false), storeUsedMemory: slope(100) }, { store: 'redis' }),
  // handle resolved but the store's bytes per key are not
  design('sh-store-unresolved', 'shared', { heapUsed: slope(200), storeUsedMemory: slope(80, false) }, { store: 'redis' }),
  design('failed', 'per-worker', { rss: slope(900) }, { status: 'failed' }),
];
const results = { designs: DESIGNS };

// 100 alarms, half with trust actions → 50 trusts; half of them fire at each evaluation, drawn independently
// (random), every 1200 s (72 evaluations a day); 1 host × 2 workers; 3720 s tokens re-minted 120 s early → usable
// period P = 3600 s: a token minted at an evaluation serves the next c = ⌈3600/1200⌉ − 1 = 2.
const SMALL: Deployment = {
  ...PRESETS['trust-per-alarm'],
  scenario: 'trust-per-alarm', alarms: 100, trustShare: 0.5, firingFraction: 0.5, evaluationIntervalS: 1200,
  hosts: 1, workersPerHost: 2, budgetBytes: 40_000, tokenLifetimeS: 3720, refreshMarginS: 120, firingModel: 'random',
};
// By hand:
//   notifications/day = 50 × 0.5 × 72 = 1800 = no-cache tokens/day
//   shared: after a mint, 2 covered evaluations, then a geometric wait for a firing one (p = 0.5, mean 2):
//     cycle 4 evaluations → 50 × 72 / 4 = 900 tokens/day; a live token 3 evaluations of 4 → 37.5 keys
//   per-worker: a worker gets the trust's notification with p = 0.25 per evaluation (mean wait 4): cycle 6
//     → 50 × 2 workers × 72 / 6 = 1200 tokens/day
//   entries/worker (none, a day) = 50 × (1 − 0.75^72)
const ENTRIES = 50 * (1 - 0.75 ** 72);

describe('planner: a small deployment by hand', () => {
  const p = plan(results, SMALL);
  const row = (id: string) => p.rows.find((x) => x.id === id)!;

  it('trusts, tokens and validations', () => {
    expect(p.workers).toBe(2);
    expect(p.alarmsWithTrustActions).toBe(50);
    expect(p.trusts).toBe(50);
    expect(p.noCache.tokensPerDay).toBeCloseTo(1800, 9);
    expect(p.noCache.validationsPerDay).toBeCloseTo(1800, 9);
    expect(row('pw-rss').tokensPerDay).toBeCloseTo(1200, 9);
    expect(row('sh').tokensPerDay).toBeCloseTo(900, 9);
    for (const x of p.rows) expect(x.validationsPerDay).toBe(x.tokensPerDay);
    expect(row('pw-rss').entriesPerWorker).toBeCloseTo(ENTRIES, 9);
  });

  it('memory per worker from the headline figure; a shared design adds its store, paid once', () => {
    expect(row('pw-rss')).toMatchObject({ bytesPerEntry: 1000, bytesMetric: 'rss' });
    expect(row('pw-rss').memoryPerWorker).toBeCloseTo(ENTRIES * 1000, 6); // 50,000 B
    expect(row('pw-heap')).toMatchObject({ bytesPerEntry: 500, bytesMetric: 'heapUsed' });
    expect(row('pw-heap').memoryPerWorker).toBeCloseTo(ENTRIES * 500, 6); // 25,000 B
    expect(row('sh').memoryPerWorker).toBeCloseTo(ENTRIES * 300, 6); // 15,000 B in each worker
    expect(row('sh').storeKeys).toBeCloseTo(37.5, 9);
    expect(row('sh').storeBytes).toBeCloseTo(37.5 * 600, 6); // 22,500 B once
    expect(row('pw-rss').storeBytes).toBeNull();
  });

  it('topology comes from the results\' designs', () => {
    expect(Object.fromEntries(p.rows.map((x) => [x.id, x.topology]))).toEqual({
      'pw-rss': 'per-worker', 'pw-heap': 'per-worker', 'sh': 'shared', 'sh-unresolved': 'shared', 'sh-store-unresolved': 'shared', 'failed': 'per-worker',
    });
    // the same figures declared per-worker mint per-worker tokens, whatever store they name
    const flipped = plan({ designs: [{ ...DESIGNS[2], topology: 'per-worker' }] }, SMALL).rows[0];
    expect(flipped.topology).toBe('per-worker');
    expect(flipped.tokensPerDay).toBeCloseTo(1200, 9);
  });

  it('fits the budget; the fewest tokens among those that fit is recommended; not-resolved designs never are', () => {
    expect(row('pw-rss').fits).toBe(false); // 50,000 > 40,000
    expect(row('pw-heap').fits).toBe(true);
    expect(row('sh').fits).toBe(true);
    for (const id of ['sh-unresolved', 'sh-store-unresolved', 'failed']) {
      expect(row(id)).toMatchObject({ resolved: false, fits: null, memoryPerWorker: null });
    }
    expect(row('sh-unresolved').why).toMatch(/not resolved/);
    expect(row('sh-store-unresolved').why).toMatch(/store bytes per key not resolved/);
    expect(row('failed').why).toMatch(/not measured \(failed\)/);
    expect(p.notResolved).toEqual(['sh-unresolved', 'sh-store-unresolved', 'failed']);
    expect(p.recommendation?.id).toBe('sh');
    expect(p.recommendation?.reason).toMatch(/fewest tokens\/day \(900\) of the 2 designs that fit/);
  });

  it('a design listed twice, or with a negative figure, is never recommended (issue 19 item 9)', () => {
    const negative = { ...DESIGNS[0], id: 'negative', perObject: { rss: { ...slope(1000), bytes: -411.7 * 1024, ci95: [-420_000, -400_000] as [number, number], resolution: { resolved: true, atN: 1000 } } } };
    const p2 = plan({ designs: [DESIGNS[1], DESIGNS[1], negative] }, { ...SMALL, budgetBytes: 1e9 });
    expect(planText(p2).match(/yes, recommended/g)).toHaveLength(1);
    expect(p2.rows[1]).toMatchObject({ resolved: false, fits: null });
    expect(p2.rows[1].why).toMatch(/listed twice/);
    expect(p2.rows[2]).toMatchObject({ resolved: false, fits: null, memoryPerWorker: null });
    expect(planText(p2)).not.toMatch(/−411|-411.*yes/);
  });

  it('ties on tokens go to the least memory per worker', () => {
    const tie = plan({ designs: [DESIGNS[0], DESIGNS[1]] }, { ...SMALL, budgetBytes: 1e9 });
    expect(tie.recommendation?.id).toBe('pw-heap');
    expect(tie.recommendation?.reason).toMatch(/tied on tokens with pw-rss, chosen by memory per worker/);
  });

  it('nothing fits, or nothing is resolved: no recommendation, and says why', () => {
    const tight = plan(results, { ...SMALL, budgetBytes: 10_000 });
    expect(tight.recommendation).toBeNull();
    expect(tight.noRecommendation).toMatch(/smallest, sh, needs 14\.6 KB/);
    const blind = plan({ designs: [DESIGNS[3], DESIGNS[5]] }, SMALL);
    expect(blind.recommendation).toBeNull();
    expect(blind.noRecommendation).toMatch(/no design has resolved figures/);
    expect(planText(blind)).toMatch(/Recommendation: none/);
  });

  it('renders the same cells in text, Markdown, JSON and HTML', () => {
    const text = planText(p, 'x.json');
    expect(text).toMatch(/^sh\s+shared\s+300 B \(heap\)\s+900\s+900\s+50\s+14\.6 KB\s+not measured\s+22\.0 KB \(38 keys × 600 B\)\s+.*all down.*yes, recommended$/m);
    expect(text).toMatch(/firing model random; eviction none/);
    expect(text).toMatch(/^sh-unresolved\s+shared\s+not resolved .*not resolved: per-entry memory not resolved/m);
    expect(text).toContain('Recommendation: sh —');
    const md = planMarkdown(p);
    expect(md).toContain('| `pw-rss` | per-worker | 1.0 KB (RSS) | 1,200 | 1,200 | 50 | 48.8 KB | not measured | – | – | no (memory) |');
    expect(JSON.parse(planJson(p, 'x.json'))).toMatchObject({ source: 'x.json', recommendation: { id: 'sh' } });
  });
});

describe('scenarios: one trust per alarm, and the receiving side', () => {
  it('the post scenario is the token model\'s defaults unchanged', () => {
    const post = modelNamedScenario({ scenario: 'post', alarms: 1_000_000, trustShare: 1 }, { design: 'per-worker' });
    expect(post.tokensPerDay).toBe(modelScenario({ design: 'per-worker' }).tokensPerDay);
    expect(post.validationsPerDay).toBe(post.tokensPerDay);
  });

  it('trust-per-alarm: cache entries = alarms with trust actions', () => {
    const p = scenarioParams({ scenario: 'trust-per-alarm', alarms: 1_000_000, trustShare: 0.25 });
    expect(p).toMatchObject({ alarms: 250_000, trusts: 250_000 });
    const r = modelNamedScenario({ scenario: 'trust-per-alarm', alarms: 1_000_000, trustShare: 1 }, { design: 'none' });
    expect(r.tokensPerDay).toBe(14_400_000);
    expect(r.validationsPerDay).toBe(14_400_000);
    expect(r.explanation.at(-1)).toMatch(/validations\/day = tokens\/day/);
    expect(() => scenarioParams({ scenario: 'trust-per-alarm', alarms: 1000, trustShare: 0.5, trusts: 10 })).toThrow(RangeError);
    expect(() => scenarioParams({ scenario: 'trust-per-alarm', alarms: 1, trustShare: 0.1 })).toThrow(/no alarm has a trust action/);
  });

  it('presets: both scenarios for the summary and the report, from any results file', () => {
    const r = syntheticResults() as Results;
    const plans = presetPlans(r);
    expect(plans.map((x) => x.deployment.scenario)).toEqual(['post', 'trust-per-alarm']);
    expect(plans[0].trusts).toBe(PRESETS.post.trusts);
    expect(plans[1].trusts).toBe(PRESETS['trust-per-alarm'].alarms);
    const md = plannerSummaryMarkdown(r).join('\n\n');
    expect(md).toMatch(/^## Planning a deployment$/m);
    expect(md).toContain('### Scenario `post`');
    expect(md).toContain('### Scenario `trust-per-alarm`');
    const html = plannerHtml(r);
    expect(html).toContain('<table id="planner-post" class="planner">');
    expect(html).toContain('<table id="planner-trust-per-alarm" class="planner">');
    expect(html).not.toMatch(/<script/);
    // the columns of one figure each are right-aligned, found by their heads: Tokens/day … Fds/worker, not the
    // per-entry figure with its metric, the store, store down or the verdict
    const heads = [...html.match(/<table id="planner-post"[^]*?<\/thead>/)![0].matchAll(/<th>([^<]*)<\/th>/g)].map((m) => m[1]);
    const row = html.match(/<tr[^>]*><th scope="row"><code>token-record<\/code><\/th>.*?<\/tr>/)![0];
    const numeric = [...row.matchAll(/<td([^>]*)>/g)].map((m, i) => [heads[i + 1], m[1].includes('class="num"')]);
    expect(Object.fromEntries(numeric)).toEqual({
      'Topology': false, 'Per entry': false, 'Tokens/day': true, 'Validations/day': true, 'Entries/worker': true, 'Memory/worker': true,
      'Fds/worker': true, 'Store (paid once)': false, 'Store down: tokens/s': false, 'Fits': false,
    });
    expect(md).toContain('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |');
    expect(plannerHtml({ ...r, designs: [] })).toBe('');
    expect(plannerSummaryMarkdown({ ...r, designs: [] })).toEqual([]);
  });
});

describe('npm run plan flags', () => {
  it('presets, overrides and formats', () => {
    const a = parsePlanArgs(['--scenario', 'trust-per-alarm', '--hosts', '3', '--workers-per-host', '8', '--budget-mb', '256', '--trust-share', '0.3', '--json']);
    expect(a).toMatchObject({ help: false, in: DEFAULT_RESULTS, format: 'json' });
    expect(a.deployment).toMatchObject({ scenario: 'trust-per-alarm', hosts: 3, workersPerHost: 8, budgetBytes: 256 * 1024 * 1024, trustShare: 0.3 });
    expect(a.deployment.trusts).toBeUndefined();
    expect(parsePlanArgs([]).deployment).toEqual(PRESETS['trust-per-alarm']);
    expect(parsePlanArgs(['--scenario', 'post']).deployment).toEqual(PRESETS.post);
    expect(parsePlanArgs(['--firing-model', 'sticky', '--eviction', 'lru:500', '--fd-limit', '4096']).deployment)
      .toMatchObject({ firingModel: 'sticky', eviction: { kind: 'lru', entries: 500 }, fdLimit: 4096 });
    expect(parsePlanArgs(['--markdown', '--in', 'r.json'])).toMatchObject({ format: 'markdown', in: 'r.json' });
    expect(parsePlanArgs(['--help']).help).toBe(true);
  });

  it.each([
    [['--hosts', '0']], [['--workers-per-host', '1.5']], [['--firing', '1.5']], [['--trust-share', '-0.1']], [['--budget-mb', '0']],
    [['--interval', 'abc']], [['--token-lifetime', '60']], [['--scenario', 'nope']], [['--json', '--markdown']], [['--bogus']],
    [['stray']], [['--scenario', 'trust-per-alarm', '--trusts', '10']], [['--alarms', '-1']],
    [['--interval', '1e-300']], [['--budget-mb', '1e308']], [['--alarms', '1e12']], [['--firing-model', 'bursty']],
    [['--eviction', 'lru:0']], [['--eviction', 'lru']], [['--scenario', 'post', '--trusts', '1e12', '--alarms', '10']], [['--episode-minutes', '0.5']], [['--fd-limit', '0']], [['--token-lifetime', '1e12']],
  ])('%j is a usage error', (argv) => {
    expect(() => parsePlanArgs(argv)).toThrow(UsageError);
  });

  it('more trusts than alarms is refused by the planner too (a RangeError the CLI turns into exit 2)', () => {
    expect(() => plan(results, { ...PRESETS.post, alarms: 10, trusts: 20 })).toThrow(/20 trusts for 10 alarms/);
  });

  it('the CLI: a bad flag is one line "error: …" and exit 2', () => {
    const r = runScript('bench/plan.ts', ['--hosts', '0']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual(['error: --hosts must be at least 1, got 0']);
  });
});
