// Writes every exporter's files of a results object. All outputs are built in memory first and only then written
// (each atomically), so a rendering error leaves the previous report untouched.
import { join } from 'node:path';
import type { Results } from '../results/schema.ts';
import { writeFileAtomic } from '../results/write.ts';
import { allCharts } from './charts.ts';
import { renderSvg } from './render.ts';
import { EXPORTERS } from './exporters.ts';
import type { ChartSvg } from './html.ts';

/** `charts: false` (the bench's --no-report): only the exporters that need no chart. Returns the paths written. */
export async function writeReport(r: Results, outDir: string, opts: { charts?: boolean } = {}): Promise<string[]> {
  const exporters = EXPORTERS.filter((e) => opts.charts !== false || !e.charts);
  const svgs: ChartSvg[] = [];
  if (exporters.some((e) => e.charts)) {
    for (const c of allCharts(r)) svgs.push({ name: c.name, title: c.title, caption: c.caption, lesson: c.lesson, svg: await renderSvg(c.spec) });
  }
  const files = exporters.flatMap((e) => e.files(r, svgs)).map((f) => ({ ...f, path: join(outDir, f.path) }));
  for (const f of files) writeFileAtomic(f.path, f.data);
  return files.map((f) => f.path);
}
