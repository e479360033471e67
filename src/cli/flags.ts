// Flag values shared by the model and simulate CLIs: one strict number syntax and one "one of" check, so both
// commands accept and refuse exactly the same spellings.
import { UsageError } from './errors.ts';

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

/** Strict number parsing: "1e6", "1_000_000" and "0.01" are fine; "", "12abc", "0x10", "NaN" are not. */
export function num(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const s = raw.replaceAll('_', '');
  if (!NUMBER.test(s)) throw new UsageError(`--${flag} needs a number (got "${raw}")`);
  return Number(s);
}

export function oneOf<T extends string>(flag: string, raw: string | undefined, allowed: readonly T[]): T | undefined {
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')} (got "${raw}")`);
  return raw as T;
}
