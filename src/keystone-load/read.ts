// Reads a keystone-load results file (npm run plan --keystone, the bench report's Keystone section). Anything
// wrong with it is a one-line UsageError naming the file.
import { readFileSync } from 'node:fs';
import { UsageError } from '../util/usage-error.ts';
import { KEYSTONE_LOAD_SCHEMA, type KeystoneLoadResults } from './schema.ts';

export function readKeystoneLoad(path: string): KeystoneLoadResults {
  let v: any;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UsageError(`${path}: ${e.code === 'ENOENT' ? 'no such file (run `npm run keystone-load`)' : e.code ? e.message.split('\n')[0] : 'not JSON'}`);
  }
  if (v?.meta?.schema !== KEYSTONE_LOAD_SCHEMA) throw new UsageError(`${path}: not a keystone-load results file (meta.schema is not ${KEYSTONE_LOAD_SCHEMA})`);
  if (!Array.isArray(v.operations) || !Array.isArray(v.replay) || typeof v.meta.keystone !== 'object') {
    throw new UsageError(`${path}: needs meta.keystone, operations[] and replay[]`);
  }
  for (const [i, o] of v.operations.entries()) {
    if (typeof o?.id !== 'string' || !Array.isArray(o.curve)) throw new UsageError(`${path}: operations[${i}] needs id and curve[]`);
  }
  return v as KeystoneLoadResults;
}
