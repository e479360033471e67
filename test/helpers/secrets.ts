// Greps everything a run produced for the secrets the stand-in inside it handed out. The CLI writes them to the
// file named by KCB_TEST_DUMP_TOKENS when its stand-in closes (test-only hook, src/keystone/env.ts).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface Dumped {
  tokens: string[];
  passwords: string[];
  trustIds: string[];
}

export const readDump = (file: string): Dumped => JSON.parse(readFileSync(file, 'utf8')) as Dumped;

/** Every file under dir (recursively), as latin1 text so binary files (PNG) are searched byte for byte. */
export function filesUnder(dir: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, name);
    if (statSync(p).isFile()) out.push([name, readFileSync(p, 'latin1')]);
  }
  return out;
}

/** "<where>: <kind> <first chars>" for every secret found in any of the texts (empty when clean). */
export function leaks(texts: Array<[string, string]>, dump: Dumped): string[] {
  const found: string[] = [];
  const kinds: Array<[string, string[]]> = [['token', dump.tokens], ['password', dump.passwords], ['trust id', dump.trustIds]];
  for (const [where, text] of texts) {
    for (const [kind, values] of kinds) {
      for (const v of values) if (text.includes(v)) found.push(`${where}: ${kind} ${v.slice(0, 10)}…`);
    }
  }
  return found;
}
