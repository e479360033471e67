import { describe, expect, it } from 'vitest';
import { samplesCsv, csvField } from '../src/report/csv.ts';
import { summaryMarkdown, summaryTerminal } from '../src/report/markdown.ts';
import { formatBytes, formatBytesCI, formatMs, formatSignedBytesCI } from '../src/report/format.ts';
import { reportHtml } from '../src/report/html.ts';
import { syntheticResults, syntheticResultsMinimal, UNAVAILABLE_NOTE } from './fixtures/synthetic-results.ts';

/** Minimal RFC 4180 reader, to check that what we write parses back to the same cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; }
    else field += c;
  }
  return rows;
}

describe('samplesCsv', () => {
  const r = syntheticResults({ unavailable: true });
  const rows = parseCsv(samplesCsv(r));
  const [head, ...body] = rows;
  const col = (name: string) => head.indexOf(name);

  it('has one row per sample and per failure, all of the same width', () => {
    const samples = r.designs.reduce((a, d) => a + d.samples.length + d.failures.length, 0);
    const emptyDesigns = r.designs.filter((d) => !d.samples.length && !d.failures.length).length;
    expect(body).toHaveLength(samples + emptyDesigns);
    for (const row of body) expect(row).toHaveLength(head.length);
    expect(head).toEqual(expect.arrayContaining(['design', 'n', 'trial', 'rss', 'heapUsed', 'external', 'pidusageRss', 'storeUsedMemory', 'storeRss', 'tracemalloc', 'fds', 'sockets', 'tokens', 'failure']));
  });

  it('names every design', () => {
    const ids = new Set(body.map((row) => row[col('design')]));
    for (const d of r.designs) expect(ids).toContain(d.id);
  });

  it('leaves cells empty for metrics a design does not have', () => {
    const py = body.find((row) => row[col('design')] === 'python-keystoneclient')!;
    expect(py[col('heapUsed')]).toBe('');
    expect(py[col('storeUsedMemory')]).toBe('');
    expect(py[col('fds')]).toBe('');
    expect(Number(py[col('rss')])).toBeGreaterThan(0);
    expect(Number(py[col('tracemalloc')])).toBeGreaterThan(0);
    const fc = body.find((row) => row[col('design')] === 'full-client')!;
    expect(fc[col('tracemalloc')]).toBe('');
    expect(fc[col('failure')]).toBe('');
  });

  it('writes a failed sample as a row with its reason, quoted per RFC 4180', () => {
    const failed = body.filter((row) => row[col('failure')] && row[col('n')] !== '');
    expect(failed).toHaveLength(1);
    expect(failed[0][col('design')]).toBe('redis-handle-encrypted');
    expect(failed[0][col('rss')]).toBe('');
    expect(failed[0][col('failure')]).toBe('child exited with code 1: "ECONNRESET, redis socket closed"');
    expect(samplesCsv(r)).toContain('"child exited with code 1: ""ECONNRESET, redis socket closed"""');
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(csvField('plain')).toBe('plain');
  });

  it('uses CRLF line ends', () => {
    expect(samplesCsv(r).split('\r\n').length).toBe(rows.length + 1);
  });
});

describe('summaryMarkdown', () => {
  const r = syntheticResults({ unavailable: true });
  const md = summaryMarkdown(r);
  const tableRows = md.split('\n').filter((l) => l.startsWith('| `'));

  it('has a table row for every design, with its status', () => {
    for (const d of r.designs) expect(tableRows.some((l) => l.startsWith(`| \`${d.id}\` | ${d.status}`))).toBe(true);
    expect(md).toContain('partial (1 failed)');
    expect(md).toContain(UNAVAILABLE_NOTE);
  });

  it('formats each slope as value [CI] R²', () => {
    const full = tableRows.find((l) => l.startsWith('| `full-client`'))!;
    expect(full).toMatch(/\| 45\.\d KB \[4\d\.\d, 4\d\.\d\] R² \d\.\d{3} \|/);
    const redis = tableRows.find((l) => l.startsWith('| `redis-handle`'))!;
    expect(redis).toMatch(/\| 4\d\d B \[4\d\d, 4\d\d\] R² \d\.\d{3} \|/);
    // python has no V8 heap: a dash, never "0 B"
    const py = tableRows.find((l) => l.startsWith('| `python-keystoneclient`'))!;
    expect(py.split(' | ')[2]).toBe('–');
  });

  it('states the unit, the reference, the latency table and the failures', () => {
    expect(md).toContain('KB = 1024 bytes');
    expect(md).toMatch(/Reference: .*47\.1 KB per object/);
    expect(md).toContain('## Latency per lookup');
    expect(md).toMatch(/\| redis handle \(GET\) \| `redis-handle` \| 86 µs \| 79 µs \| 210 µs \| ±1\.1 % \|/);
    expect(md).toContain('## Failed samples');
    expect(md).toContain('`redis-handle-encrypted` N = 10000, trial 4');
  });

  it('drops the latency section when the results have none', () => {
    const min = summaryMarkdown(syntheticResultsMinimal());
    expect(min).not.toContain('Latency');
    expect(min).toContain('`full-client`');
  });

  it('has a narrow terminal form naming every design', () => {
    const t = summaryTerminal(r);
    for (const d of r.designs) expect(t).toContain(d.id);
    expect(Math.max(...t.split('\n').map((l) => l.length))).toBeLessThan(120);
  });
});

describe('format helpers', () => {
  it('use 1024-based units', () => {
    expect(formatBytes(150)).toBe('150 B');
    expect(formatBytes(46285)).toBe('45.2 KB');
    expect(formatBytes(1363148)).toBe('1.3 MB');
    expect(formatBytes(1048575)).toBe('1.0 MB');
    expect(formatBytes(-50)).toBe('-50 B');
    expect(formatBytesCI(46285, [45875, 46694])).toBe('45.2 KB [44.8, 45.6]');
    expect(formatSignedBytesCI(-311_501, [-322_560, -300_442])).toBe('−304.2 KB [−315.0, −293.4]');
    expect(formatSignedBytesCI(8.3 * 2 ** 20, [7.9 * 2 ** 20, 8.7 * 2 ** 20])).toBe('+8.3 MB [7.9, 8.7]');
    expect(formatMs(0.000052)).toBe('52 ns');
    expect(formatMs(0.086)).toBe('86 µs');
    expect(formatMs(26.4)).toBe('26.4 ms');
  });
});

describe('reportHtml', () => {
  it('escapes text from the results file and carries no script', () => {
    const r = syntheticResults();
    r.designs[0].title = '<script>alert(1)</script> & "x"';
    const html = reportHtml(r, []);
    expect(html).not.toContain('<script');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62; &#38; &#34;x&#34;');
  });
});
