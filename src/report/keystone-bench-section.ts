// The bench report's "What tokens cost Keystone" section: the keystone-load results published beside the bench's
// (<out>/keystone-load/latest.json), with their charts copied under the bench report's charts/. Absent when no
// keystone-load results are there.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readKeystoneLoad } from '../keystone-load/read.ts';
import { keystoneCharts } from './keystone-load.ts';
import { keystoneSectionHtml, keystoneSectionMarkdown } from './keystone-section.ts';
import { renderSvg, svgToPng } from './render.ts';

export interface BenchKeystoneSection {
  markdown: string;
  html: string;
  /** its charts, relative to the output directory */
  files: Array<{ path: string; data: string | Uint8Array }>;
}

export async function keystoneBenchSection(outDir: string): Promise<BenchKeystoneSection | null> {
  const path = join(outDir, 'keystone-load', 'latest.json');
  if (!existsSync(path)) return null;
  const r = readKeystoneLoad(path);
  const source = 'keystone-load/latest.json';
  const charts = keystoneCharts(r, source);
  const svgs: string[] = [];
  for (const c of charts) svgs.push(await renderSvg(c.spec));
  const files = charts.flatMap((c, i) => [{ path: `charts/${c.name}.svg`, data: svgs[i] }, { path: `charts/${c.name}.png`, data: svgToPng(svgs[i]) }]);
  return { markdown: keystoneSectionMarkdown(r, source, charts).join('\n\n'), html: keystoneSectionHtml(r, source, svgs), files };
}
