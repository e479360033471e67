// Every sample of every design, one row each, for spreadsheets and R/pandas. Failed samples are rows too
// (metrics empty, `failure` holding the reason) so a reader sees the holes in the grid, not a silent gap.
import type { Results } from '../results/schema.ts';
import { METRIC_NAMES } from '../results/metrics.ts';
import { metricValue } from './format.ts';

// the registry's metrics, then the sample fields that are readings but no per-object metric
const METRIC_COLUMNS = [...METRIC_NAMES, 'heapTotal', 'arrayBuffers', 'buildMs', 'tokens'] as const;
const COLUMNS = ['design', 'status', 'n', 'trial', ...METRIC_COLUMNS, 'failure'];

/** RFC 4180: quote a field holding a comma, quote, CR or LF; double the quotes inside. */
export function csvField(v: string | number | undefined): string {
  if (v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function samplesCsv(r: Results): string {
  const lines = [COLUMNS.join(',')];
  for (const d of r.designs) {
    type Row = { n: number; trial: number; cells: Array<string | number | undefined> };
    const rows: Row[] = d.samples.map((s) => ({
      n: s.n, trial: s.trial,
      cells: [d.id, d.status, s.n, s.trial, ...METRIC_COLUMNS.map((m) => metricValue(s, m)), undefined],
    }));
    for (const f of d.failures) {
      rows.push({
        n: f.n, trial: f.trial,
        cells: [d.id, d.status, f.n, f.trial, ...METRIC_COLUMNS.map(() => undefined), f.reason],
      });
    }
    // a design with no reading at all still gets a row, so every design appears in the file
    if (!rows.length) {
      rows.push({ n: 0, trial: 0, cells: [d.id, d.status, undefined, undefined, ...METRIC_COLUMNS.map(() => undefined), d.note ?? d.status] });
    }
    // by N then trial, so a failed sample sits where it would have been
    rows.sort((a, b) => a.n - b.n || a.trial - b.trial);
    for (const row of rows) lines.push(row.cells.map(csvField).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}
