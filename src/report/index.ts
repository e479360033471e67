// Writes every derived file of a results object. All outputs are built in memory first and only then written
// (each atomically), so a rendering error leaves the previous report untouched.
import { join } from 'node:path';
import type { Results } from '../results/schema.ts';
import type { ReportOptions } from './view.ts';
import { writeFileAtomic } from '../results/write.ts';
import { samplesCsv } from './csv.ts';
import { allCharts } from './charts.ts';
import { renderSvg, svgToPng } from './render.ts';
import { reportHtml, type ChartSvg } from './html.ts';
import { reportReadme, summaryMarkdown } from './markdown.ts';
import { keystoneBenchSection } from './keystone-bench-section.ts';

export async function writeReport(r: Results, outDir: string, opts: ReportOptions = {}): Promise<string[]> {
  const charts = allCharts(r);
  const svgs: ChartSvg[] = [];
  for (const c of charts) svgs.push({ name: c.name, title: c.title, caption: c.caption, lesson: c.lesson, svg: await renderSvg(c.spec) });
  const files: Array<[string, string | Uint8Array]> = [];
  for (const c of svgs) {
    files.push([join(outDir, 'charts', `${c.name}.svg`), c.svg]);
    files.push([join(outDir, 'charts', `${c.name}.png`), svgToPng(c.svg)]);
  }
  // "What tokens cost Keystone", when keystone-load results are published beside these
  const ks = await keystoneBenchSection(outDir);
  const md = (text: string) => (ks ? `${text.trimEnd()}\n\n${ks.markdown}\n` : text);
  files.push(
    [join(outDir, 'index.html'), ks ? reportHtml(r, svgs, opts).replace('</body>', `${ks.html}</body>`) : reportHtml(r, svgs, opts)],
    [join(outDir, 'README.md'), md(reportReadme(r, svgs, opts))],
    [join(outDir, 'summary.md'), md(summaryMarkdown(r, opts))],
    [join(outDir, 'samples.csv'), samplesCsv(r)],
    ...(ks?.files ?? []),
  );
  for (const [path, data] of files) writeFileAtomic(path, data);
  return files.map(([path]) => path);
}
