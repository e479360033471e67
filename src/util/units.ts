// Bytes in the unit they read best in, one rule for every output and message: KB = 1024 B and MB = 1024 KB
// everywhere (the post's `ps` figures are KiB too), so numbers line up. The lowest layer, so that any layer that
// words a figure (the planner's reasons, the report) says it the same way.
export const KB = 1024;
export const MB = 1024 * KB;
export const GB = 1024 * MB;
export const UNIT_NOTE = 'KB = 1024 bytes, MB = 1024 KB';

const UNITS: Array<[string, number]> = [['B', 1], ['KB', KB], ['MB', MB], ['GB', GB]];

/** The unit a value reads best in; chosen after rounding so 1023.96 KB becomes "1.0 MB". */
export function unitFor(bytes: number): [string, number] {
  const a = Math.abs(bytes);
  for (let i = UNITS.length - 1; i > 0; i--) {
    if (Number((a / UNITS[i][1]).toFixed(1)) >= 1) return UNITS[i];
  }
  return UNITS[0];
}

function inUnit(bytes: number, [name, size]: [string, number]): string {
  return name === 'B' ? String(Math.round(bytes)) : (bytes / size).toFixed(1);
}

/** 46285 → "45.2 KB", 1363148 → "1.3 MB", 150 → "150 B". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '–';
  const u = unitFor(bytes);
  return `${inUnit(bytes, u)} ${u[0]}`;
}

/** "45.2 KB [44.8, 45.6]": the interval in the value's unit. */
export function formatBytesCI(bytes: number, ci: [number, number]): string {
  const u = unitFor(bytes);
  return `${inUnit(bytes, u)} ${u[0]} [${inUnit(ci[0], u)}, ${inUnit(ci[1], u)}]`;
}

/** "+8.3 MB [7.9, 8.7]" / "−1.2 MB [−1.5, −0.9]": a signed value and its interval in the value's unit, with a true minus. */
export function formatSignedBytesCI(bytes: number, ci: [number, number]): string {
  const u = unitFor(bytes);
  const signed = (v: number) => inUnit(v, u).replace(/^-/, '−');
  return `${bytes >= 0 ? '+' : ''}${signed(bytes)} ${u[0]} [${signed(ci[0])}, ${signed(ci[1])}]`;
}
