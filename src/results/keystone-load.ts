// Keystone's CPU per operation from a keystone-load results file (`results/keystone-load/latest.json`, the
// contract of `npm run keystone-load`: operations[] of { id, cpuMsPerOp: { mean, ci95 }, … }), for the decision's
// Keystone cores. Optional everywhere: no file, no core figures. A file that is there but unreadable is the
// user's to fix: one-line UsageError naming it.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../util/usage-error.ts';

export interface KeystoneCpu {
  /** a trust-scoped password authentication (`token-trust`): what the notifier does per token */
  msPerToken: number;
  /** one token validation at the receiving API (`validate`); null when not measured */
  msPerValidation: number | null;
  /** where the figures come from, for the reader */
  source: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The keystone-load file that goes with a results file: `<its directory>/keystone-load/latest.json`. */
export const keystoneLoadBeside = (resultsPath: string): string => join(dirname(resultsPath), 'keystone-load', 'latest.json');

/** CPU ms per op of an operation, when the file measured it (a remote Keystone's CPU is not measurable: null). */
function cpuMs(ops: unknown[], id: string): number | null {
  const op = ops.find((o) => isObj(o) && o.id === id) as Obj | undefined;
  const mean = isObj(op?.cpuMsPerOp) ? op.cpuMsPerOp.mean : undefined;
  return typeof mean === 'number' && Number.isFinite(mean) && mean > 0 ? mean : null;
}

/** The figures of a parsed keystone-load file, or null when it has no CPU per token. */
export function keystoneCpuOf(v: unknown, source: string): KeystoneCpu | null {
  if (!isObj(v) || !Array.isArray(v.operations)) throw new UsageError(`${source}: not a keystone-load results file (no operations list)`);
  const msPerToken = cpuMs(v.operations, 'token-trust');
  if (msPerToken === null) return null;
  const rounds = isObj(v.meta) && isObj(v.meta.keystone) ? v.meta.keystone.passwordHashRounds : undefined;
  const msPerValidation = cpuMs(v.operations, 'validate');
  const text = `${source}: ${msPerToken.toPrecision(3)} ms of Keystone CPU per trust token` +
    `${msPerValidation !== null ? `, ${msPerValidation.toPrecision(3)} ms per validation` : ', validations not measured'}` +
    `${typeof rounds === 'number' ? `, password_hash_rounds ${rounds}` : ''}`;
  return { msPerToken, msPerValidation, source: text };
}

/** Reads a keystone-load file; null when there is none (or it holds no CPU figures). */
export function readKeystoneCpu(path: string): KeystoneCpu | null {
  if (!existsSync(path)) return null;
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`${path}: cannot read keystone-load results: ${(err as Error).message.split('\n')[0]}`);
  }
  // named as the report sees it, beside the results (a published page carries no machine path)
  return keystoneCpuOf(v, join(basename(dirname(path)), basename(path)));
}
