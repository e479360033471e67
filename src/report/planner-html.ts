// The planner tables (src/model/planner.ts) for the HTML report: each measured design in the post's scenario and
// in the one-trust-per-alarm scenario at their preset deployments, with the recommendation. The cells are the
// ones the terminal and the Markdown summary print (src/report/planner-render.ts). Every text goes through esc().
import { PLANNER_HEAD, PLANNER_NOTE, deploymentLine, noCacheLine, numericColumns, plannerCells, presetPlans, recommendationLine } from './planner-render.ts';
import { scenarioText } from '../model/planner.ts';
import type { Results } from '../results/schema.ts';
import { esc } from './html-escape.ts';

const NUMERIC = numericColumns(PLANNER_HEAD);

/** The "Planning a deployment" section, or '' when the results hold no designs. */
export function plannerHtml(r: Results): string {
  if (r.designs.length === 0) return '';
  const sections = presetPlans(r).map((p) => {
    const s = p.deployment.scenario;
    const body = p.rows.map((x) => {
      const [id, ...cells] = plannerCells(p, x);
      // inline styles: the report's stylesheet belongs to src/report/html.ts
      const rec = p.recommendation?.id === x.id ? ' class="recommended" style="background:#eef7ee"' : '';
      return `<tr${rec}><th scope="row"><code>${esc(id)}</code></th>` +
        cells.map((c, i) => `<td${NUMERIC[i + 1] ? ' class="num"' : ''} style="white-space:nowrap">${esc(c)}</td>`).join('') + '</tr>';
    }).join('\n');
    return `<h3>Scenario <code>${esc(s)}</code>: ${esc(scenarioText(s))}</h3>` +
      `<p>${esc(deploymentLine(p))}. ${esc(noCacheLine(p))}</p>` +
      `<table id="planner-${esc(s)}" class="planner"><thead><tr>${PLANNER_HEAD.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>` +
      `<tbody>\n${body}\n</tbody></table>` +
      `<p><b>${esc(recommendationLine(p))}</b></p>`;
  });
  return `<section id="planner"><h2>Planning a deployment</h2>` +
    `<p>Each measured design in the post&#39;s deployment under two trust models (<code>npm run plan -- --scenario post</code> and ` +
    `<code>--scenario trust-per-alarm</code>; other deployments: <code>npm run plan -- --help</code>). ${esc(PLANNER_NOTE)}</p>` +
    `${sections.join('\n')}</section>`;
}
