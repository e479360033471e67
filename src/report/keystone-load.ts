// The keystone-load report: summary.md, index.html and charts/ beside latest.json, built in memory first and
// each written atomically.
import { join } from 'node:path';
import type { KeystoneLoadResults } from '../keystone-load/schema.ts';
import { keystoneCosts } from '../keystone-load/costs.ts';
import { writeFileAtomic } from '../results/write.ts';
import { keystoneCapacityChart } from './charts/keystone-capacity.ts';
import { keystoneCoresChart } from './charts/keystone-cores.ts';
import type { Chart } from './charts/theme.ts';
import { esc } from './html.ts';
import { coresRows } from './keystone-cores.ts';
import { keystoneSectionHtml, keystoneSectionMarkdown } from './keystone-section.ts';
import { renderSvg, svgToPng } from './render.ts';

export function keystoneCharts(r: KeystoneLoadResults, source: string): Chart[] {
  const charts: Chart[] = [];
  const cap = keystoneCapacityChart(r);
  if (cap) charts.push(cap);
  const costs = keystoneCosts(r, source);
  if (!('why' in costs)) {
    const c = coresRows(costs);
    charts.push(keystoneCoresChart(c.rows, c.available, `CPU per token ${costs.cpuMsPerToken.toFixed(1)} ms, per validation ${costs.cpuMsPerValidation.toFixed(1)} ms, bcrypt cost ${costs.passwordHashRounds ?? '?'}`));
  }
  return charts;
}

export async function writeKeystoneLoadReport(r: KeystoneLoadResults, outDir: string): Promise<void> {
  const source = 'latest.json';
  const charts = keystoneCharts(r, source);
  const svgs: string[] = [];
  for (const c of charts) svgs.push(await renderSvg(c.spec));
  const files: Array<[string, string | Uint8Array]> = [];
  charts.forEach((c, i) => {
    files.push([join(outDir, 'charts', `${c.name}.svg`), svgs[i]], [join(outDir, 'charts', `${c.name}.png`), svgToPng(svgs[i])]);
  });
  const md = ['# What tokens cost Keystone', ...keystoneSectionMarkdown(r, source, charts).slice(1)].join('\n\n') + '\n';
  files.push([join(outDir, 'summary.md'), md], [join(outDir, 'README.md'), md]);
  files.push([join(outDir, 'index.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc('What tokens cost Keystone')}</title>` +
    '<style>body{font-family:"DejaVu Sans",sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}table{border-collapse:collapse;margin:.5em 0 1.5em}' +
    'td,th{border:1px solid #ccc;padding:3px 7px;font-size:13px}figure{margin:1em 0}</style></head><body>' +
    `<h1>${esc('What tokens cost Keystone')}</h1>${keystoneSectionHtml(r, source, svgs).replace(/^<section id="keystone-cost"><h2>[^<]*<\/h2>/, '<section>')}</body></html>\n`]);
  for (const [path, data] of files) writeFileAtomic(path, data);
}
