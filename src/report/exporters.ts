// Every file a report consists of, one exporter per format behind one interface: the report, `--no-report`
// and the commands' help all iterate this list. Adding a format is one exporter here (or in a file of its own)
// and one line in EXPORTERS.
import type { Results } from '../results/schema.ts';
import { samplesCsv } from './csv.ts';
import { reportHtml, type ChartSvg } from './html.ts';
import type { BenchKeystoneSection } from './keystone-bench-section.ts';
import { reportReadme, summaryMarkdown } from './markdown.ts';
import { svgToPng } from './render.ts';
import type { ReportOptions } from './view.ts';

export interface ExportFile {
  /** relative to the output directory */
  path: string;
  data: string | Uint8Array;
}

/** What every exporter is given, built once: the results, their charts, and what lies beside them. */
export interface ExportInput {
  results: Results;
  charts: ChartSvg[];
  opts: ReportOptions;
  /** "What tokens cost Keystone", when keystone-load results are published beside the report */
  keystone: BenchKeystoneSection | null;
}

export interface Exporter {
  name: string;
  /** the files it writes, for --help */
  writes: string;
  /** it needs the charts rendered (left out with --no-report, which writes only the data and the summary) */
  charts: boolean;
  files(x: ExportInput): ExportFile[];
}

/** A Markdown document with the Keystone section at its end, when there is one. */
const withKeystone = (md: string, x: ExportInput) => (x.keystone ? `${md.trimEnd()}\n\n${x.keystone.markdown}\n` : md);

export const EXPORTERS: Exporter[] = [
  {
    name: 'charts', writes: 'charts/*.svg, charts/*.png', charts: true,
    files: (x) => [
      ...x.charts.flatMap((c) => [{ path: `charts/${c.name}.svg`, data: c.svg }, { path: `charts/${c.name}.png`, data: svgToPng(c.svg) }]),
      ...(x.keystone?.files ?? []),
    ],
  },
  {
    name: 'html', writes: 'index.html', charts: true,
    files: (x) => {
      const html = reportHtml(x.results, x.charts, x.opts);
      return [{ path: 'index.html', data: x.keystone ? html.replace('</body>', `${x.keystone.html}</body>`) : html }];
    },
  },
  { name: 'readme', writes: 'README.md', charts: true, files: (x) => [{ path: 'README.md', data: withKeystone(reportReadme(x.results, x.charts, x.opts), x) }] },
  { name: 'summary', writes: 'summary.md', charts: false, files: (x) => [{ path: 'summary.md', data: withKeystone(summaryMarkdown(x.results, x.opts), x) }] },
  { name: 'csv', writes: 'samples.csv', charts: false, files: (x) => [{ path: 'samples.csv', data: samplesCsv(x.results) }] },
];

/** "charts/*.svg, charts/*.png, index.html, …": what a report writes, for --help. */
export const exportedFiles = (withCharts = true) => EXPORTERS.filter((e) => withCharts || !e.charts).map((e) => e.writes).join(', ');
