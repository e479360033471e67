// Writes every exporter's files of a results object. All outputs are built in memory first and only then written
// (each atomically), so a rendering error leaves the previous report untouched.
import { join } from 'node:path';
import type { Results } from '../results/schema.ts';
import { writeFileAtomic } from '../results/write.ts';
import { allCharts } from './charts.ts';
import { EXPORTERS } from './exporters.ts';
import type { ChartSvg } from './html.ts';
import { keystoneBenchSection } from './keystone-bench-section.ts';
import { renderSvg } from './render.ts';
import type { ReportOptions } from './view.ts';

/**
 * `charts: false` (the bench's --no-report): only the exporters that need no chart. `opts`: what the decision
 * may use besides the results (Keystone's CPU). Returns the paths written.
 */
export async function writeReport(r: Results, outDir: string, opts: ReportOptions & { charts?: boolean } = {}): Promise<string[]> {
  const { charts: withCharts, ...reportOpts } = opts;
  const exporters = EXPORTERS.filter((e) => withCharts !== false || !e.charts);
  const charts: ChartSvg[] = [];
  if (exporters.some((e) => e.charts)) {
    for (const c of allCharts(r)) charts.push({ name: c.name, title: c.title, caption: c.caption, lesson: c.lesson, svg: await renderSvg(c.spec) });
  }
  const input = { results: r, charts, opts: reportOpts, keystone: await keystoneBenchSection(outDir) };
  const files = exporters.flatMap((e) => e.files(input)).map((f) => ({ ...f, path: join(outDir, f.path) }));
  for (const f of files) writeFileAtomic(f.path, f.data);
  return files.map((f) => f.path);
}
