// Presents a comparison: a plain-text table for the terminal, Markdown for a PR comment, or JSON for scripts.
import type { Comparison } from './compare.ts';
import { HEAD, countsLine, differenceLines, planLines, rowCells, ruleLine, runLine } from './render-cells.ts';
import { textTable } from '../util/text.ts';

export type ComparisonFormat = 'table' | 'markdown' | 'json';

function terminal(c: Comparison): string {
  const rows = c.rows.map(rowCells);
  return [
    runLine(c.old), runLine(c.new), ...differenceLines(c).map((l) => `note: ${l}`), '',
    ...textTable(HEAD, rows), '',
    countsLine(c), ruleLine(c), '',
    ...planLines(c),
  ].join('\n') + '\n';
}

const mdCell = (s: string) => s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');

function markdown(c: Comparison): string {
  const line = (cells: string[]) => `| ${cells.map(mdCell).join(' | ')} |`;
  return [
    `- ${mdCell(runLine(c.old))}`, `- ${mdCell(runLine(c.new))}`, ...differenceLines(c).map((l) => `- ${mdCell(l)}`), '',
    line(HEAD), `|${HEAD.map(() => ' --- ').join('|')}|`, ...c.rows.map((r) => line(rowCells(r))), '',
    `${countsLine(c)}. ${ruleLine(c)}`, '',
    ...planLines(c).map((l, i) => (i === 0 ? mdCell(l) : `- ${mdCell(l.trim())}`)),
  ].join('\n') + '\n';
}

/** NaN and ±Infinity have no JSON spelling: they become null, as in the results files. */
function json(c: Comparison): string {
  return JSON.stringify(c, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
}

export function renderComparison(c: Comparison, format: ComparisonFormat = 'table'): string {
  return format === 'json' ? json(c) : format === 'markdown' ? markdown(c) : terminal(c);
}
