// The decision (src/model/decision.ts) in words: a lead naming the deployment, one sentence per runtime with the
// figures that decide it, and why the other designs lose. Markdown (`code`, **bold**) is the one source: the
// terminal strips the marks and the HTML page turns them into tags, so every output says the same thing.
import type { Choice, Decision, Loser, Runtime } from '../model/decision.ts';
import { scenarioText } from '../model/planner.ts';
import { formatBytes, formatCount } from './format.ts';
import { deploymentLine } from './planner-render.ts';

export interface DecisionBlock {
  lead: string;
  /** one per runtime, python first */
  choices: string[];
  losers: string;
  /** how the figures were derived, one sentence */
  basis: string;
}

const RUNTIME_LABEL: Record<Runtime, string> = { python: 'Python (what Aodh can adopt)', node: 'Node' };
const METRIC: Record<string, string> = { rss: 'RSS', pidusageRss: 'RSS', heapUsed: 'V8 heap', tracemalloc: 'tracemalloc' };
const pct = (v: number) => `${Number((v * 100).toPrecision(3))} %`;
const cores = (c: number) => (c >= 10 ? c.toFixed(0) : c >= 0.1 ? c.toFixed(2) : c.toPrecision(2));

function sockets(n: number | null): string {
  if (n === null) return 'sockets per entry not resolved';
  if (n === 0) return 'no socket per entry';
  return `${Number(n.toPrecision(3))} open socket${n === 1 ? '' : 's'} per entry`;
}

function choiceText(c: Choice, d: Decision): string {
  const store = c.topology === 'shared'
    ? c.storeBytes !== null
      ? `, plus a shared ${c.store ?? 'store'} holding ${formatBytes(c.storeBytes)} (${formatCount(c.storeKeys ?? 0)} keys × ${formatBytes(c.storeBytesPerKey ?? 0)}, paid once)`
      : `, plus a shared ${c.store ?? 'store'} (${formatCount(c.storeKeys ?? 0)} keys)`
    : ', no store';
  const ks = c.keystoneCores !== undefined && d.noCacheKeystoneCores !== undefined
    ? `; Keystone ${cores(c.keystoneCores)} cores on average against ${cores(d.noCacheKeystoneCores)} without a cache` : '';
  return `**${RUNTIME_LABEL[c.runtime]}: \`${c.id}\`** — ${formatBytes(c.bytesPerEntry)} per entry (${METRIC[c.bytesMetric ?? ''] ?? c.bytesMetric}), ` +
    `${formatBytes(c.memoryPerWorker)} per worker for ${formatCount(c.entriesPerWorker)} cached trusts${store}; ` +
    `${formatCount(c.tokensPerDay)} tokens/day, ${formatCount(c.tokensSavedPerDay)} a day (${pct(c.savedShare)}) fewer than without a cache; ` +
    `${sockets(c.socketsPerEntry)}${ks}.`;
}

/** Why a design loses, without its name: designs that lose for the same reason share one text. */
function lossText(l: Loser): string {
  const x = l.loss;
  const socketNote = l.socketsPerWorker ? `, and ${formatCount(l.socketsPerWorker)} open sockets per worker` : '';
  switch (x.kind) {
    case 'not-resolved': return `not considered: ${x.why}`;
    case 'does-not-fit': return `does not fit: ${x.why}${socketNote}`;
    case 'over-budget': return `${formatBytes(x.memoryPerWorker)} per worker, over the ${formatBytes(x.budget)} budget${socketNote}`;
    case 'more-tokens': return `${(x.tokensPerDay / x.thanTokensPerDay).toFixed(1)}× the tokens ` +
      `(${formatCount(x.tokensPerDay)}/day: each worker caches and mints its own)${socketNote}`;
    case 'more-memory': return `the same tokens, more memory per worker (${formatBytes(x.memoryPerWorker)} vs ` +
      `${formatBytes(x.thanMemoryPerWorker)})${socketNote}`;
    case 'larger-store': return `the same tokens and memory per worker, a larger store (${formatBytes(x.storeBytes)} vs ${formatBytes(x.thanStoreBytes)})`;
  }
}

/** "`a`, `b`: reason; `c`: reason" for one runtime's losers, in plan order. */
function losersText(ls: Loser[]): string {
  const groups = new Map<string, string[]>();
  for (const l of ls) groups.set(lossText(l), [...(groups.get(lossText(l)) ?? []), `\`${l.id}\``]);
  return [...groups].map(([why, ids]) => `${ids.join(', ')}: ${why}`).join('; ');
}

/** The decision as Markdown pieces: lead, one line per runtime, the losers, the basis. */
export function decisionBlock(d: Decision): DecisionBlock {
  const s = d.deployment.scenario;
  const lead = `For \`npm run plan\`'s default deployment, scenario \`${s}\` (${scenarioText(s)}) — ${deploymentLine(d)} — ` +
    `the notifier without a cache mints ${formatCount(d.noCacheTokensPerDay)} tokens/day.`;
  const choices = (['python', 'node'] as const).map((rt) => {
    const c = d.choices[rt];
    return 'none' in c ? `**${RUNTIME_LABEL[rt]}: none** — ${c.none}.` : choiceText(c, d);
  });
  const byRuntime = (['python', 'node'] as const).map((rt) => {
    const ls = d.losers.filter((l) => l.runtime === rt);
    return ls.length ? `- ${rt === 'python' ? 'Python' : 'Node'}: ${losersText(ls)}.` : '';
  }).filter(Boolean);
  const losers = byRuntime.length ? `**Why the others lose:**\n${byRuntime.join('\n')}` : '';
  const basis = 'Per entry: the measured figure that stands for each design; memory per worker = entries a worker caches in a day × ' +
    'that figure; a shared store is paid once, outside the worker budget; tokens/day from the token model. Recommended: the fewest ' +
    'tokens/day among the designs of that runtime that fit the budget, ties by memory per worker' +
    (d.keystoneSource ? `; Keystone cores = tokens/s × CPU per token + validations/s × CPU per validation (${d.keystoneSource})` : '') +
    '. Other deployments: `npm run plan -- --runtime python|node|any --help`.';
  return { lead, choices, losers, basis };
}

/** A block as Markdown, under a heading of the caller's. */
export function decisionBlockMarkdown(b: DecisionBlock): string {
  return [b.lead, b.choices.map((c) => `- ${c}`).join('\n'), b.losers, `*${b.basis}*`].filter(Boolean).join('\n\n');
}

export const decisionMarkdown = (d: Decision): string => decisionBlockMarkdown(decisionBlock(d));

/** Markdown marks removed, for the terminal. */
export const plainText = (md: string): string => md.replace(/\*\*([^*]+)\*\*/g, '$1').replace(/`([^`]*)`/g, '$1').replace(/^\*(.*)\*$/gm, '$1');

/** Words filled into lines of at most `width` characters; lines after the first start with `indent`. */
export function wrap(text: string, width: number, indent = ''): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : `${lines.length ? indent : ''}${word}`;
    if (next.length > width && line.trim()) {
      lines.push(line);
      line = `${indent}${word}`;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

/** The block for the terminal, wrapped at 110 columns: a title line, the lead, one item per runtime, the losers. */
export function decisionBlockTerminal(b: DecisionBlock): string {
  const W = 110;
  return ['Decision', wrap(plainText(b.lead), W), ...b.choices.map((c) => wrap(`- ${plainText(c)}`, W, '  ')), ...b.losers.split('\n').map((l) => wrap(plainText(l), W, l.startsWith('- ') ? '  ' : ''))]
    .filter(Boolean).join('\n') + '\n';
}

export const decisionTerminal = (d: Decision): string => decisionBlockTerminal(decisionBlock(d));
