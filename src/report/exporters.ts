// Every file a report consists of, one exporter per format behind one interface: the report, `--no-report`
// and the commands' help all iterate this list. Adding a format is one exporter here (or in a file of its own)
// and one line in EXPORTERS.
import type { Results } from '../results/schema.ts';
import { samplesCsv } from './csv.ts';
import { reportHtml, type ChartSvg } from './html.ts';
import { reportReadme, summaryMarkdown } from './markdown.ts';
import { svgToPng } from './render.ts';

export interface ExportFile {
  /** relative to the output directory */
  path: string;
  data: string | Uint8Array;
}

export interface Exporter {
  name: string;
  /** the files it writes, for --help */
  writes: string;
  /** it needs the charts rendered (left out with --no-report, which writes only the data and the summary) */
  charts: boolean;
  files(r: Results, charts: ChartSvg[]): ExportFile[];
}

export const EXPORTERS: Exporter[] = [
  {
    name: 'charts', writes: 'charts/*.svg, charts/*.png', charts: true,
    files: (_r, charts) => charts.flatMap((c) => [{ path: `charts/${c.name}.svg`, data: c.svg }, { path: `charts/${c.name}.png`, data: svgToPng(c.svg) }]),
  },
  { name: 'html', writes: 'index.html', charts: true, files: (r, charts) => [{ path: 'index.html', data: reportHtml(r, charts) }] },
  { name: 'readme', writes: 'README.md', charts: true, files: (r, charts) => [{ path: 'README.md', data: reportReadme(r, charts) }] },
  { name: 'summary', writes: 'summary.md', charts: false, files: (r) => [{ path: 'summary.md', data: summaryMarkdown(r) }] },
  { name: 'csv', writes: 'samples.csv', charts: false, files: (r) => [{ path: 'samples.csv', data: samplesCsv(r) }] },
];

/** "charts/*.svg, charts/*.png, index.html, …": what a report writes, for --help. */
export const exportedFiles = (withCharts = true) => EXPORTERS.filter((e) => withCharts || !e.charts).map((e) => e.writes).join(', ');
