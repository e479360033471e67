// "What tokens cost Keystone": the keystone-load results as a report section (Markdown and HTML), for the
// keystone-load report and the bench report. Figures of the stand-in are labelled as the stand-in's.
import type { KeystoneLoadResults } from '../keystone-load/schema.ts';
import { keystoneCosts } from '../keystone-load/costs.ts';
import { coresRows, TICK_WINDOW_S } from './keystone-cores.ts';
import { esc } from './html.ts';
import { mdTable } from './format.ts';

const f = (v: number | null | undefined, d = 1) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));
const ci = (c: [number, number]) => `[${f(c[0], 2)}, ${f(c[1], 2)}]`;

interface Section { intro: string[]; tables: Array<{ title: string; head: string[]; rows: string[][] }>; notes: string[] }

function section(r: KeystoneLoadResults, source: string): Section {
  const k = r.meta.keystone;
  const intro = [
    `${k.kind === 'stand-in' ? '**The stand-in, not Keystone**: these figures say nothing about Keystone\'s cost. ' : ''}` +
      `${k.label}; ${k.server ?? 'server unknown'}; bcrypt cost ${k.passwordHashRounds ?? 'unknown'}, token provider ${k.tokenProvider ?? 'unknown'}, ` +
      `cache ${k.cache ?? 'unknown'}; revocation events ${k.revocationEvents.atStart ?? 'unknown'} at start, ${k.revocationEvents.atEnd ?? 'unknown'} at end. ` +
      `Machine: ${r.meta.machine.cpus} × ${r.meta.machine.cpu}, load average ${f(r.meta.machine.loadAvg1AtStart, 2)} at start, ${f(r.meta.machine.loadAvg1AtEnd, 2)} at end. ` +
      `From ${source} (\`${r.meta.command}\`, ${r.meta.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${Math.round(r.meta.durationMs / 1000)} s).`,
    ...(r.meta.fault ? [`The run stopped early: ${r.meta.fault}. What was measured before is shown.`] : []),
  ];
  const tables: Section['tables'] = [];
  tables.push({
    title: 'Per operation',
    head: ['Operation', 'Keystone CPU per op (ms, 95 % CI)', 'Capacity (ops/s)', 'at concurrency', 'p50 at 1 (ms)', 'Other CPU use (cores)'],
    rows: r.operations.map((o) => [o.id,
      o.cpuMsPerOp ? `${f(o.cpuMsPerOp.mean, 2)} ${ci(o.cpuMsPerOp.ci95)}${o.cpuMsPerOp.resolved ? '' : ' (not resolved)'}` : `not measurable`,
      f(o.capacityPerS), String(o.saturationConcurrency ?? '–'), f(o.curve.find((p) => p.concurrency === 1)?.p50Ms, 0),
      `${f(Math.min(...o.curve.map((p) => p.otherCores)), 2)}–${f(Math.max(...o.curve.map((p) => p.otherCores)), 2)}`]),
  });
  for (const o of r.operations) {
    tables.push({
      title: `Capacity curve: ${o.id}`,
      head: ['Concurrency', 'ops/s', 'p50 (ms)', 'p99 (ms)', 'errors', 'CPU per op (ms)', 'other CPU (cores)', 'load avg'],
      rows: o.curve.map((p) => [String(p.concurrency), f(p.perS), f(p.p50Ms, 0), f(p.p99Ms, 0), String(p.errors), f(p.cpuMsPerOp, 2), f(p.otherCores, 2), f(p.loadAvg1, 2)]),
    });
  }
  const costs = keystoneCosts(r, source);
  const notes: string[] = [];
  if ('why' in costs) notes.push(`Keystone cores per design: not computed (${costs.why}).`);
  else {
    const c = coresRows(costs);
    tables.push({
      title: 'Keystone cores per cache design',
      head: ['Scenario', 'Cache', 'Average', `Tick (drained in ${TICK_WINDOW_S} s)`, `Restart (first tick in ${TICK_WINDOW_S} s)`, 'Utilization', 'Keystone'],
      rows: c.rows.map((x) => [x.scenario, x.cache, f(x.average, 3), f(x.peak, 2), f(x.coldStart, 2),
        x.utilization === null ? '–' : `${f(x.utilization * 100, 1)} %`, x.overloaded ? 'overloaded' : 'within capacity']),
    });
    notes.push(`Available: ${c.available === null ? 'unknown' : `${f(c.available, 2)} cores' worth of token work on one host (capacity ${f(costs.capacityPerS)} tokens/s × ${f(costs.cpuMsPerToken, 1)} ms)`}. ` +
      'Cores = tokens/s × CPU per token + validations/s × CPU per validation (one validation per new token at the receiving API). `npm run plan` gives them per design for any deployment.');
  }
  if (r.replaySettings) {
    const s = r.replaySettings;
    tables.push({
      title: 'Replay on Keystone',
      head: ['Design', 'Scale', 'Demand (tokens/s)', 'Served (tokens/s)', 'Planner (tokens/s)', 'Overlapping mints', 'Single-flight vs planner', 'p50 (ms)', 'p99 (ms)', 'Errors', 'Backlog', 'Verdict'],
      rows: r.replay.map((x) => [x.design, `${f(x.scale * 100, 2)} %`, f(x.demandPerS, 2), f(x.servedPerS, 2), f(x.predicted, 2), String(x.concurrentMints ?? 0),
        x.singleFlightVsPredicted === null || x.singleFlightVsPredicted === undefined ? '–' : `${x.singleFlightVsPredicted >= 0 ? '+' : ''}${f(x.singleFlightVsPredicted * 100, 0)} %`,
        f(x.p50Ms, 0), f(x.p99Ms, 0), String(x.errors), String(x.backlog), `${x.verdict}: ${x.why}`]),
    });
    notes.push(`Replay: the post's scenario at ${s.alarms.toLocaleString('en-US')} alarms and ${s.trusts} trusts, ${s.workers} notifier workers, ${Math.round(s.durationS)} s per design; ${s.how}. ` +
      `No cache asks ${f(s.noCacheDemandPerS, 1)} tokens/s against a measured capacity of ${f(s.capacityPerS, 1)}/s. Latency is from a notification's due time to its token. ` +
      'Overlapping mints: a shared cache has no cross-worker lock, so two workers that miss one trust at once both mint; the compressed clock leaves a mint\'s latency uncompressed, ' +
      'so this happens far more often than in production, and the planner (one mint per renewal) is compared with the tokens less those overlaps.');
  } else if (r.replaySkipped) notes.push(`Replay: ${r.replaySkipped}.`);
  return { intro, tables, notes };
}

export function keystoneSectionMarkdown(r: KeystoneLoadResults, source: string, charts: Array<{ name: string; title: string }> = [], chartDir = 'charts'): string[] {
  const s = section(r, source);
  return [
    '## What tokens cost Keystone',
    ...s.intro,
    ...s.tables.flatMap((t) => [`**${t.title}**`, mdTable(t.head, t.rows.map((row) => row.map((text) => ({ text }))))]),
    ...s.notes,
    ...charts.map((c) => `![${c.title}](${chartDir}/${c.name}.png)`),
  ];
}

export function keystoneSectionHtml(r: KeystoneLoadResults, source: string, svgs: string[] = []): string {
  const s = section(r, source);
  const table = (t: Section['tables'][number]) => `<h3>${esc(t.title)}</h3><table><thead><tr>${t.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${t.rows.map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  return `<section id="keystone-cost"><h2>What tokens cost Keystone</h2>${s.intro.map((p) => `<p>${esc(p.replace(/\*\*/g, ''))}</p>`).join('')}` +
    `${s.tables.map(table).join('')}${s.notes.map((p) => `<p>${esc(p)}</p>`).join('')}${svgs.map((svg) => `<figure>${svg}</figure>`).join('')}</section>`;
}
