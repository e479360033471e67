// Flag values shared by every CLI: one strict number syntax, whole numbers with bounds, and "one of" checks, so
// every command accepts and refuses exactly the same spellings.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.ts';

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

/** Strict number parsing: "1e6", "1_000_000" and "0.01" are fine; "", "12abc", "0x10", "NaN" are not. */
export function num(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const s = raw.replaceAll('_', '');
  if (!NUMBER.test(s)) throw new UsageError(`--${flag} needs a number (got "${raw}")`);
  return Number(s);
}

/** A whole number within [min, max]; "1e4" is 10000, "2.5" is refused. */
export function int(flag: string, raw: string | undefined, def: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = num(flag, raw);
  if (v === undefined) return def;
  if (!Number.isInteger(v)) throw new UsageError(`--${flag} must be a whole number, got ${raw}`);
  if (v < min) throw new UsageError(`--${flag} must be at least ${min}, got ${raw}`);
  if (v > max) throw new UsageError(`--${flag} must be at most ${max}, got ${raw}`);
  return v;
}

export function oneOf<T extends string>(flag: string, raw: string | undefined, allowed: readonly T[]): T | undefined {
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')} (got "${raw}")`);
  return raw as T;
}

/** "-5", "-0.5", "-.5", "-1e3": a negative number, never a short flag (the CLIs have no digit flags). */
const NEGATIVE = /^-(\d|\.\d)/;

/**
 * node:util parseArgs with the project's rules: a negative number after a flag is its value (so "--maxsize -5"
 * reaches validation instead of "ambiguous argument"); a flag given twice is refused rather than the last one
 * silently winning (a flag declared `multiple` may repeat); its errors become one-line UsageErrors.
 */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = false) {
  const LONG = /^--[a-z][a-z0-9-]*$/;
  const args = argv.flatMap((a, i) => (NEGATIVE.test(a) && LONG.test(argv[i - 1] ?? '') ? [] : [
    LONG.test(a) && NEGATIVE.test(argv[i + 1] ?? '') ? `${a}=${argv[i + 1]}` : a,
  ]));
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals, allowNegative: true, tokens: true });
  } catch (err) {
    // parseArgs's messages are already one line; strip its advice to use "--", which does not apply here.
    throw new UsageError(`${(err as Error).message.split('\n')[0].replace(/\. To specify.*$/, '')} (see --help)`);
  }
  const seen = new Map<string, string[]>();
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== 'option' || options[t.name]?.multiple) continue;
    seen.set(t.name, [...(seen.get(t.name) ?? []), t.rawName]);
  }
  for (const [name, raw] of seen) {
    if (raw.length > 1) throw new UsageError(`--${name} is given ${raw.length} times${new Set(raw).size > 1 ? ` (${raw.join(', ')})` : ''}; give it once`);
  }
  return { values: parsed.values, positionals: parsed.positionals };
}

/** A finite number within [min, max] (each bound inclusive unless `open` says so), or `def` when absent. */
export function real(flag: string, raw: string | undefined, def: number, min: number, max: number, open: { min?: boolean; max?: boolean } = {}): number {
  const v = num(flag, raw);
  if (v === undefined) return def;
  const low = open.min ? v > min : v >= min;
  const high = open.max ? v < max : v <= max;
  if (!(Number.isFinite(v) && low && high)) {
    throw new UsageError(`--${flag} must be within ${open.min ? '(' : '['}${min}, ${max}${open.max ? ')' : ']'}, got ${raw}`);
  }
  return v;
}
