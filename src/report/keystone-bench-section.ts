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
  files: Array<[string, string | Uint8Array]>;
}

export async function keystoneBenchSection(outDir: string): Promise<BenchKeystoneSection | null> {
  const path = join(outDir, 'keystone-load', 'latest.json');
  if (!existsSync(path)) return null;
  const r = readKeystoneLoad(path);
  const source = 'keystone-load/latest.json';
  const charts = keystoneCharts(r, source);
  const svgs: string[] = [];
  for (const c of charts) svgs.push(await renderSvg(c.spec));
  const files: BenchKeystoneSection['files'] = charts.flatMap((c, i) => [
    [join(outDir, 'charts', `${c.name}.svg`), svgs[i]] as [string, string], [join(outDir, 'charts', `${c.name}.png`), svgToPng(svgs[i])] as [string, Uint8Array]]);
  return { markdown: keystoneSectionMarkdown(r, source, charts).join('\n\n'), html: keystoneSectionHtml(r, source, svgs), files };
}
