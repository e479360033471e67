// Messages leave the harness as one line: the first non-empty line of a text or an error's message.

export const firstLine = (text: string): string => text.split('\n').map((l) => l.trim()).find(Boolean) ?? '';

/** The first line of whatever was thrown. */
export const errorLine = (err: unknown): string => firstLine(String((err as Error)?.message ?? err));

/**
 * A plain-text table for the terminal: columns two spaces apart, each as wide as its widest cell; columns for
 * which `right(i)` holds (numbers) are aligned right. Returns the lines, head first, trailing blanks trimmed.
 */
export function textTable(head: string[], rows: string[][], right: (column: number) => boolean = () => false): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (right(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}
