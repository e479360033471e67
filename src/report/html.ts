// results/index.html: one self-contained page (inline SVG and CSS, no script, no network) that can be mailed
// or opened from disk. Every piece of text from the results file goes through esc().
import type { DesignResult, Results } from '../results/schema.ts';
import { metricHeader, statusText, summaryMetrics, tokenModelIntro, tokenModelRows } from '../export/markdown.ts';
import {
  UNIT_NOTE, formatBytes, formatBytesCI, formatCount, formatDate, formatDuration, formatMs, formatR2, isSynthetic, machineLine,
} from './format.ts';

export interface ChartSvg {
  name: string;
  title: string;
  caption: string;
  svg: string;
}

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Inline SVGs share one id space: prefix any ids (clip paths, gradients) so two charts cannot collide. */
function scopeIds(svg: string, prefix: string): string {
  return svg
    .replace(/\sid="([^"]+)"/g, ` id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`);
}

/** Plain-text paragraphs shared by the HTML page and README.md. */
export function howToRead(r: Results): string[] {
  return [
    `Per-object cost is the least-squares slope of memory over N. Each trial is a fresh process measured at ` +
      `N = ${r.meta.sizes.join(', ')}; each trial's slope is one estimate, the figure shown is their mean and the ` +
      `brackets its 95 % confidence interval over the ${r.meta.trials} trials. R² says how close all the samples ` +
      `lie to one straight line (1.000 = perfectly linear).`,
    `heapUsed counts live JavaScript objects after forced garbage collection and moves by bytes. RSS counts whole ` +
      `resident pages of the process, including memory the allocator keeps after freeing it and V8 heap growth in ` +
      `steps, so its slope is noisier: compare its interval with heapUsed's. pidusage RSS is the same process's RSS ` +
      `read from outside through /proc; external is memory held by native buffers outside the V8 heap.`,
    `Redis bytes are per key in the Redis server: used_memory from INFO memory (what Redis accounts for) and the ` +
      `redis-server process's RSS. They are paid once per Redis server, shared by every worker; a worker's own ` +
      `bytes are paid again in every worker process.`,
    `The scale chart is a projection: the measured RSS slope multiplied by 10,000, 100,000 and 1,000,000 cached ` +
      `trusts. Nothing was measured at those N; fragmentation and GC headroom will make real numbers differ.`,
    `The post's ${formatBytes(r.reference.bytesPerObject)} is a single ps RSS difference between 0 and 1000 objects ` +
      `in a Python 2 process (2015), without an interval: read it as an order of magnitude.`,
    `The tokens-and-memory chart and table are the token model (src/model/tokens.ts) for the post's scenario, not a ` +
      `measurement: a cache mints a token per trust when the cached one is within the 120 s refresh margin and a ` +
      `notification needs it, in every worker unless the cache is shared; memory multiplies this run's per-object cost by ` +
      `the trusts a worker caches in a day. \`npm run model -- --simulate\` checks the token arithmetic against these designs run by ` +
      `real worker processes on an accelerated clock.`,
    `Tokens issued counts the tokens the Keystone minted while this design's samples were built. ${UNIT_NOTE}.`,
  ];
}

function slopeCell(d: DesignResult, m: keyof DesignResult['perObject']): string {
  const s = d.perObject[m];
  if (!s) return '<td class="na">–</td>';
  const [value, ci] = formatBytesCI(s.bytes, s.ci95).split(' [');
  return `<td class="slope"><b>${esc(value)}</b><br><small>[${esc(ci)}<br>${esc(formatR2(s.r2))}</small></td>`;
}

function summaryTable(r: Results): string {
  const metrics = summaryMetrics(r);
  const head = ['Design', 'Status', ...metrics.map(metricHeader), 'Tokens issued'].map((h) => `<th>${esc(h)}</th>`).join('');
  const rows = r.designs.map((d) => `<tr data-design="${esc(d.id)}" class="status-${esc(d.status)}">` +
    `<th scope="row"><code>${esc(d.id)}</code><br><small>${esc(d.title)}</small>` +
    `${d.note ? `<br><small class="note">${esc(d.note)}</small>` : ''}</th>` +
    `<td>${esc(statusText(d))}</td>${metrics.map((m) => slopeCell(d, m)).join('')}` +
    `<td class="num">${esc(formatCount(d.tokensIssued))}</td></tr>`).join('\n');
  return `<table id="summary"><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

function latencyTable(r: Results): string {
  if (!r.latency?.length) return '';
  const rows = r.latency.map((l) => `<tr><th scope="row">${esc(l.name)}</th><td>${l.design ? `<code>${esc(l.design)}</code>` : '–'}</td>` +
    [formatMs(l.meanMs), formatMs(l.p50Ms), formatMs(l.p99Ms), `±${l.rme.toFixed(1)} %`, formatCount(l.samples)]
      .map((v) => `<td class="num">${esc(v)}</td>`).join('') + '</tr>').join('\n');
  return `<h2>Latency per lookup</h2><table id="latency"><thead><tr><th>Operation</th><th>Design</th><th>mean</th>` +
    `<th>p50</th><th>p99</th><th>±rme</th><th>samples</th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

function tokenModelTable(r: Results): string {
  const { head, rows } = tokenModelRows(r);
  const body = rows.map(([id, ...cells]) => `<tr><th scope="row"><code>${esc(id)}</code></th>` +
    cells.map((c, i) => `<td${i >= 1 ? ' class="num"' : ''}>${esc(c)}</td>`).join('') + '</tr>').join('\n');
  return `<h2>Tokens and memory in the post's scenario</h2><p>${esc(tokenModelIntro(r))}</p>` +
    `<table id="token-model"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function failures(r: Results): string {
  const items = r.designs.flatMap((d) => d.failures.map((f) =>
    `<li><code>${esc(d.id)}</code> N = ${esc(f.n)}, trial ${esc(f.trial)}: ${esc(f.reason)}</li>`));
  return items.length ? `<h2>Failed samples</h2><ul id="failures">${items.join('\n')}</ul>` : '';
}

function metadata(r: Results): string {
  const m = r.meta;
  const ks = m.keystone;
  const rows: Array<[string, string]> = [
    ['Node / V8', `${m.node} / ${m.v8}`],
    ['Platform', `${m.platform} ${m.arch}`],
    ['CPU', `${m.cpu} × ${m.cpus}`],
    ['Memory', formatBytes(m.totalMemBytes)],
    ['Command', m.command],
    ['Commit', m.commit],
    ['Started', formatDate(m.startedAt)],
    ['Duration', formatDuration(m.durationMs)],
    ['Sizes × trials', `N = ${m.sizes.join(', ')} × ${m.trials} trials`],
    ['Keystone', `${ks.kind}, ${ks.version} (${ks.url}${ks.catalogServices ? `, ${ks.catalogServices} catalog services` : ''})${ks.server ? `, served by ${ks.server}` : ''}`],
    ['Redis', `${m.redis.kind}, ${m.redis.version}`],
    ['Tool', `${m.tool} ${m.version}`],
  ];
  return `<table id="meta">${rows.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v)}</td></tr>`).join('\n')}</table>`;
}

const CSS = `
body{font-family:'DejaVu Sans',Verdana,sans-serif;margin:2rem auto;max-width:1280px;padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #ddd}
.sub{color:#555;margin-top:0}.banner{background:#fff3cd;border:1px solid #e0c060;padding:.5rem .8rem}
table{border-collapse:collapse;margin:.8rem 0;font-size:.85rem}th,td{border:1px solid #ddd;padding:.3rem .5rem;vertical-align:top;text-align:left}
thead th{background:#f4f4f4}td.num{text-align:right}td.na{color:#999;text-align:center}small{color:#555}.note{color:#8a5a00}
figure{margin:1.5rem 0}figure svg{max-width:100%;height:auto;display:block}figcaption{color:#555;font-size:.85rem}
code{font-size:.92em}#meta th{background:#f8f8f8;white-space:nowrap}
tbody th{font-weight:normal;min-width:14rem}tbody th code{font-weight:bold}td.slope{white-space:nowrap}#token-model td{white-space:nowrap}
`;

export function reportHtml(r: Results, svgs: ChartSvg[]): string {
  const banners = [
    isSynthetic(r) ? 'Synthetic fixture data: these numbers were not measured.' : '',
    r.meta.partial ? 'Interrupted run: this report holds only the samples that completed.' : '',
  ].filter(Boolean).map((b) => `<p class="banner">${esc(b)}</p>`).join('\n');
  const figures = svgs.map((c, i) => `<figure id="chart-${esc(c.name)}">${scopeIds(c.svg, `c${i}`)}` +
    `<figcaption>${esc(c.caption)}</figcaption></figure>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>keystone-cache-bench: per-object memory</title>
<style>${CSS}</style></head>
<body>
<h1>Per-object memory of Keystone-client cache designs</h1>
<p class="sub">${esc(machineLine(r))}</p>
${banners}
<h2>Summary</h2>
<p>Per cached object: mean slope over trials, <small>[95 % CI] and R² of the fit</small>. ${esc(UNIT_NOTE)}.</p>
${summaryTable(r)}
<p id="reference">Reference: ${esc(r.reference.label)} = <b>${esc(formatBytes(r.reference.bytesPerObject))} per object</b>.</p>
<h2>Charts</h2>
${figures}
${tokenModelTable(r)}
${latencyTable(r)}
${failures(r)}
<h2>How to read this</h2>
${howToRead(r).map((p) => `<p>${esc(p)}</p>`).join('\n')}
<h2>Run</h2>
${metadata(r)}
</body></html>
`;
}
