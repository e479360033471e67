// results/index.html: one self-contained page (inline SVG and CSS, no script, no network) that can be mailed
// or opened from disk: the view model (./view.ts) laid out as HTML. Every piece of text goes through esc().
import type { Results } from '../results/schema.ts';
import { esc } from './html-escape.ts';
import { reportView, type Cell, type ReportOptions, type Table } from './view.ts';
import { plannerHtml } from './planner-html.ts';
import { isMethodChart } from './charts.ts';

export interface ChartSvg {
  name: string;
  title: string;
  caption: string;
  /** what a reader learns from the chart, in this run's numbers */
  lesson?: string;
  svg: string;
}

export { esc };

/** `code` spans and **bold** of the view's prose (Markdown-style marks) as <code> and <b>, the rest escaped. */
function prose(s: string): string {
  // bold after code: a bold span may hold a code span
  return s.split(/`([^`]*)`/).map((part, i) => (i % 2 ? `<code>${esc(part)}</code>` : esc(part))).join('')
    .replace(/\*\*(.+?)\*\*/g, '<b>$1</b>');
}

/** Inline SVGs share one id space: prefix any ids (clip paths, gradients) so two charts cannot collide. */
function scopeIds(svg: string, prefix: string): string {
  return svg
    .replace(/\sid="([^"]+)"/g, ` id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`);
}

function cell(c: Cell, tag: 'td' | 'th' = 'td'): string {
  const cls = c.slope ? 'slope' : c.muted ? 'na' : c.num ? 'num' : '';
  const attrs = `${tag === 'th' ? ' scope="row"' : ''}${cls ? ` class="${cls}"` : ''}`;
  const body = c.slope
    ? `<b>${esc(c.slope.value)}</b><br><small>${esc(c.slope.ci)}<br>${esc(c.slope.r2)}</small>`
    : c.code ? `<code>${esc(c.text)}</code>` : esc(c.text);
  const detail = (c.detail ?? []).map((d, i) => `<br><small${i > 0 ? ' class="note"' : ''}>${esc(d)}</small>`).join('');
  return `<${tag}${attrs}>${body}${detail}</${tag}>`;
}

/** A view table: the first column heads its row. */
function table(t: Table): string {
  const head = t.head.map((h) => `<th>${esc(h)}</th>`).join('');
  const rows = t.rows.map((row) => {
    const attrs = `${row.design && t.id === 'summary' ? ` data-design="${esc(row.design)}"` : ''}${row.status ? ` class="status-${esc(row.status)}"` : ''}`;
    return `<tr${attrs}>${row.cells.map((c, i) => cell(c, i === 0 ? 'th' : 'td')).join('')}</tr>`;
  }).join('\n');
  return `<table id="${esc(t.id)}"><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

const CSS = `
body{font-family:'DejaVu Sans',Verdana,sans-serif;margin:2rem auto;max-width:1280px;padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #ddd}
.sub{color:#555;margin-top:0}.banner{background:#fff3cd;border:1px solid #e0c060;padding:.5rem .8rem}
table{border-collapse:collapse;margin:.8rem 0;font-size:.85rem}th,td{border:1px solid #ddd;padding:.3rem .5rem;vertical-align:top;text-align:left}
thead th{background:#f4f4f4}td.num{text-align:right;white-space:nowrap}td.na{color:#777;font-style:italic}small{color:#555}.note{color:#8a5a00}
figure{margin:1.5rem 0}figure svg{max-width:100%;height:auto;display:block}figcaption{color:#555;font-size:.85rem;max-width:60rem}
figcaption .lesson{color:#222;font-size:.95rem;display:block;margin-bottom:.3rem}
code{font-size:.92em}#meta th{background:#f8f8f8;white-space:nowrap}
tbody th{font-weight:normal;min-width:14rem}tbody th code{font-weight:bold}td.slope{white-space:nowrap}
#cross-check th,#zero-steps th,#token-model th,#latency th,#appendix-columns th{min-width:0}
#decision{background:#f3f8f3;border:1px solid #9c9;padding:.2rem 1rem .6rem;margin-top:1rem}#decision h2{margin-top:.6rem;border:0}
#decision li{margin:.3rem 0}#decision .basis{color:#555;font-size:.85rem}
`;

export function reportHtml(r: Results, svgs: ChartSvg[], opts: ReportOptions = {}): string {
  const v = reportView(r, opts);
  const figure = (c: ChartSvg) => `<figure id="chart-${esc(c.name)}">${scopeIds(c.svg, `c${svgs.indexOf(c)}`)}` +
    `<figcaption>${c.lesson ? `<span class="lesson">${prose(c.lesson)}</span>` : ''}${esc(c.caption)}</figcaption></figure>`;
  const figures = svgs.filter((c) => !isMethodChart(c.name)).map(figure).join('\n');
  const methodFigures = svgs.filter((c) => isMethodChart(c.name)).map((c) => `<h3>${esc(c.title)}</h3>${figure(c)}`);
  const d = v.decision;
  const decision = d ? `<section id="decision"><h2>Decision</h2><p>${prose(d.lead)}</p>` +
    `<ul>${d.choices.map((c) => `<li>${prose(c)}</li>`).join('')}</ul>` +
    `${d.losers ? `<p>${prose(d.losers.split('\n')[0])}</p><ul>${d.losers.split('\n').slice(1).map((l) => `<li>${prose(l.replace(/^- /, ''))}</li>`).join('')}</ul>` : ''}<p class="basis">${prose(d.basis)}</p></section>` : '';
  const appendix = [
    v.appendixColumns ? `<h3>Other measured columns</h3><p>${prose(v.appendixColumns.intro)}</p>${table(v.appendixColumns.table)}` : '',
    ...methodFigures,
    v.steps ? `<h3>One-off steps</h3><p>${prose(v.steps.intro)}</p>${table(v.steps.table)}` : '',
  ].filter(Boolean);
  const sections = [
    v.crossCheck ? `<h2>Cross-check and where the bytes go</h2><p>${prose(v.crossCheck.intro)}</p>${table(v.crossCheck.table)}` : '',
    `<h2>Tokens and memory in the post's scenario</h2><p>${prose(v.model.intro)}</p>${table(v.model.table)}`,
    plannerHtml(r),
    v.latency ? `<h2>Latency per lookup</h2><p>${prose(v.latency.intro)}</p>${table(v.latency.table)}` : '',
    v.failures.length ? `<h2>Failed samples</h2><ul id="failures">${v.failures.map((f) =>
      `<li><code>${esc(f.id)}</code> N = ${esc(f.n)}, trial ${esc(f.trial)}: ${esc(f.reason)}</li>`).join('\n')}</ul>` : '',
    appendix.length ? `<section id="appendix"><h2>Appendix: method</h2>${appendix.join('\n')}</section>` : '',
  ].filter(Boolean).join('\n');
  const meta = `<table id="meta">${v.meta.map((m) => `<tr><th scope="row">${esc(m.key)}</th>${cell(m.value)}</tr>`).join('\n')}</table>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>keystone-cache-bench: per-object memory</title>
<style>${CSS}</style></head>
<body>
<h1>${esc(v.title)}</h1>
<p class="sub">${esc(v.machine)}</p>
${v.banners.map((b) => `<p class="banner">${esc(b)}</p>`).join('\n')}
${decision}
<h2>Per-object memory</h2>
<p>${esc(v.method)}</p>
${table(v.summary)}
<p id="reference">Reference: ${esc(v.reference.label)} = <b>${esc(v.reference.value)} per object</b>.</p>
<h2>Charts</h2>
${figures}
${sections}
<h2>How to read this</h2>
${v.howToRead.map((p) => `<p>${prose(p)}</p>`).join('\n')}
<h2>Run</h2>
${meta}
</body></html>
`;
}
