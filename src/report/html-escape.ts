// Every text that goes into an HTML page passes through esc(): the five characters HTML gives a meaning, as
// numeric character references.
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
