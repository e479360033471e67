// Opens the rendered report in the Debian chromium, the way a reader would, and checks that the charts drew
// their text, the summary lists every design, and the page needs nothing from the network.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import { writeReport } from '../src/report/index.ts';
import { syntheticResults } from './fixtures/synthetic-results.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');
const hasChromium = existsSync(CHROMIUM);
// Under CI a missing browser is a failure, not a skip.
const CI = process.env.CI === 'true';
if (!hasChromium && !CI) console.warn(`report.browser.test: skipped, ${CHROMIUM} not found (apt-get install -y chromium)`);

it.runIf(CI)(`${CHROMIUM} is installed (required under CI)`, () => {
  expect(hasChromium, `${CHROMIUM} not found (apt-get install -y chromium)`).toBe(true);
});

describe.skipIf(!hasChromium)(`report in headless Chromium (${hasChromium ? CHROMIUM : `skipped: ${CHROMIUM} not found`})`, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'kcb-report-browser-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('shows every chart with axis text and a summary row per design, offline and without errors', async () => {
    const r = syntheticResults({ unavailable: true });
    await writeReport(r, tmp);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('request', (req) => requests.push(req.url()));
      await page.goto(pathToFileURL(join(tmp, 'index.html')).href, { waitUntil: 'load' });

      const figures = page.locator('figure');
      // per-object, bytes-by-owner, rss-split, memory-vs-n, projection, token-model, episodes, latency
      expect(await figures.count()).toBe(8);
      for (let i = 0; i < 8; i++) {
        const fig = figures.nth(i);
        expect(await fig.locator('svg').count(), `figure ${i} svg`).toBe(1);
        const labels = fig.locator('.role-axis-label text');
        const n = await labels.count();
        expect(n, `figure ${i} axis labels`).toBeGreaterThan(0);
        const texts = await labels.allTextContents();
        expect(texts.filter((t) => t.trim()).length, `figure ${i} non-empty labels`).toBeGreaterThan(0);
        for (let j = 0; j < Math.min(n, 5); j++) {
          const box = await labels.nth(j).boundingBox();
          expect(box && box.width > 0 && box.height > 0, `figure ${i} label ${j} visible`).toBe(true);
        }
        expect(await fig.locator('.role-title-text text').first().textContent()).toBeTruthy();
      }

      // every figure says how to read it; the two "where the bytes go" charts also what a reader learns
      for (const name of ['bytes-by-owner', 'rss-split']) {
        expect((await page.locator(`#chart-${name} figcaption .lesson`).textContent())?.length, name).toBeGreaterThan(40);
      }

      const rowIds = await page.locator('#summary tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-design')));
      expect(rowIds).toEqual(r.designs.map((d) => d.id));

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });

      expect(problems).toEqual([]);
      expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
