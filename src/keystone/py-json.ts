// Keystone (Python's json.dumps) separates items with ", " and keys with ": ". The stand-in writes the same bytes
// so that what a client receives and parses is the size a real Keystone sends (8.3 KB, not 7.8 KB compact).
export function pyJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(pyJson).join(', ')}]`;
  const items = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${JSON.stringify(k)}: ${pyJson(v)}`);
  return `{${items.join(', ')}}`;
}
