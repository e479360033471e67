// The one door every design comes through, built-in or --design-module: the module is checked before anything
// runs, and each problem is one line naming the file (a UsageError: exit 2, nothing started or written). Modules
// are imported only in child processes with a time limit (describe-node.ts, the python worker's --describe):
// whatever a module does at import — exit, loop forever, never settle — the harness stays in control.
import { statSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../util/usage-error.ts';
import { runBounded, type BoundedRun } from '../util/run-bounded.ts';
import { withoutCredentials } from '../util/env.ts';
import { errorLine, firstLine } from '../util/text.ts';
import { bundle, bundleOnce, discard, stopBundling } from '../util/bundle.ts';
import { PYTHON, pythonEnv, PYTHON_WORKER } from '../worker/python/paths.ts';
import { TOPOLOGIES } from '../designs/contract.ts';
import { STORE_IDS } from '../stores/index.ts';
import { DEFAULT_PLANNING_BYTES, designIdPattern, type DesignDescriptor } from '../designs/descriptor.ts';
import { DESCRIBE_MARK, type Described } from './describe-protocol.ts';

const NODE_EXT = new Set(['.ts', '.mts', '.js', '.mjs']);
const DESCRIBE_NODE = fileURLToPath(new URL('./describe-node.ts', import.meta.url));

/**
 * How long describing may take. The python built-ins import keystoneclient or Aodh, the node ones are
 * bundled by esbuild first: 0.1–1.5 s of CPU each, measured. A module busy at import (a loop) is stopped after DESCRIBE_CPU_MS of
 * its own CPU time, however loaded the machine is; one that waits at import on something that never comes, after
 * DESCRIBE_TIMEOUT_MS of wall time: generous, because on a machine shared with other test suites (load 20 on 2
 * cores) describing the ten built-ins took 13–29 s of wall time for 8 s of CPU.
 */
export const DESCRIBE_CPU_MS = 8_000;
export const DESCRIBE_TIMEOUT_MS = 60_000;

/**
 * The limits in force. KCB_DESCRIBE_CPU_S changes the CPU-time limit (0.5..600 s): more for a module that imports
 * a large library on a slow machine, less to be told sooner of a loop; the wall-time limit stays at least 60 s
 * and twice the CPU limit. A bad value is a usage error (loadDesigns checks it before describing anything).
 */
export function describeLimits(env: NodeJS.ProcessEnv = process.env): { timeoutMs: number; cpuLimitMs: number } {
  const raw = env.KCB_DESCRIBE_CPU_S;
  if (raw === undefined || raw === '') return { timeoutMs: DESCRIBE_TIMEOUT_MS, cpuLimitMs: DESCRIBE_CPU_MS };
  const s = Number(raw);
  if (!(Number.isFinite(s) && s >= 0.5 && s <= 600)) throw new UsageError(`KCB_DESCRIBE_CPU_S must be a number of seconds in 0.5..600 (got ${JSON.stringify(raw)})`);
  return { timeoutMs: Math.max(DESCRIBE_TIMEOUT_MS, 2 * s * 1000), cpuLimitMs: s * 1000 };
}

/** A design that cannot be measured on this machine (its packages are missing): reported, not fatal. */
export class DesignUnavailable extends Error {
  constructor(readonly id: string, message: string) {
    super(message);
  }
}

const lastLine = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean).at(-1) ?? '';

/** Why a describing child ended without its answer, in words: exit, signal, time limit, output limit. */
function endedEarly(run: BoundedRun): string {
  const limits = describeLimits();
  if (run.cpuExceeded) return `still busy loading after ${limits.cpuLimitMs / 1000} s of CPU time (stopped)`;
  if (run.timedOut) return `did not finish loading within ${limits.timeoutMs / 1000} s (stopped)`;
  if (run.overflowed) return 'printed more than 1 MB while loading (stopped)';
  // node's own code for "the module's top-level await never settled"
  if (run.code === 13) return 'its top-level await never settles';
  if (run.signal) return `was killed by ${run.signal} while loading`;
  const err = lastLine(run.stderr.replace(/\n\s+at .*/g, ''));
  return `ended the loading process (exit code ${run.code}) before describing itself${err ? `: ${err}` : ''}`;
}

function checkShape(file: string, m: Record<string, unknown>, runtime: 'node' | 'python'): DesignDescriptor {
  const bad = (what: string) => new UsageError(`design module ${file}: ${what}`);
  if (typeof m.id !== 'string' || !designIdPattern.test(m.id)) throw bad(`id must be a string of lower-case letters, digits, ".", "_" or "-" (got ${JSON.stringify(m.id)})`);
  if (typeof m.title !== 'string' || !m.title.trim()) throw bad('title must be a non-empty string');
  if (!TOPOLOGIES.includes(m.topology as never)) throw bad(`topology must be ${TOPOLOGIES.map((t) => `"${t}"`).join(' or ')} (got ${JSON.stringify(m.topology)})`);
  const needs = m.needs ?? [];
  if (!Array.isArray(needs) || !needs.every((s) => STORE_IDS.includes(s))) throw bad(`needs must list stores among ${STORE_IDS.join(', ')} (got ${JSON.stringify(m.needs)})`);
  const planning = m.planningBytesPerEntry ?? DEFAULT_PLANNING_BYTES[runtime];
  if (typeof planning !== 'number' || !(planning > 0)) throw bad('planningBytesPerEntry must be a positive number');
  const w = m.whatIf as { of?: unknown; change?: unknown } | undefined;
  if (w !== undefined && (typeof w !== 'object' || w === null || typeof w.of !== 'string' || !designIdPattern.test(w.of) || typeof w.change !== 'string' || !w.change.trim())) {
    throw bad('whatIf must be { of: a design id, change: what it changes }');
  }
  return {
    id: m.id, title: m.title, runtime, topology: m.topology as DesignDescriptor['topology'], needs: [...new Set(needs as DesignDescriptor['needs'])],
    planningBytesPerEntry: planning, module: file, builtin: false,
    ...(Array.isArray(m.requires) ? { requires: m.requires as string[] } : {}),
    ...(w ? { whatIf: { of: w.of as string, change: w.change as string } } : {}),
  };
}

function fromNodeExports(file: string, m: Described): DesignDescriptor {
  if ('loadError' in m) throw new UsageError(`design module ${file} does not load: ${m.loadError}`);
  if ('problem' in m) throw new UsageError(`design module ${file}: ${m.problem}`);
  if (!('exports' in m)) throw new UsageError(`design module ${file}: not described`);
  if (!m.exports.hasOpen) throw new UsageError(`design module ${file}: the default export has no open(ctx) function`);
  return checkShape(file, m.exports, 'node');
}

/** esbuild's first error as a compiler prints it: `file:line:column: ERROR: text`. */
function buildProblem(err: unknown): string {
  const first = (err as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } | null }> }).errors?.[0];
  if (!first) return errorLine(err);
  const at = first.location ? `${resolve(first.location.file)}:${first.location.line}:${first.location.column}: ` : '';
  return `${at}ERROR: ${first.text}`;
}

/**
 * Imports node modules in one child process (the built-ins together: one start-up, not one each) and checks each
 * descriptor. Each module is first bundled by esbuild, as the sample workers run it (src/measure/node-bundle.ts):
 * the child is plain node, with no TypeScript loader to start, and a module that cannot be bundled — so never
 * measured — is refused here with esbuild's error. A module that ends or stalls the child fails with the reason;
 * the modules after it are not reached.
 */
export async function describeNodeModules(files: string[]): Promise<Map<string, DesignDescriptor | Error>> {
  // fresh bundles, not one per path and process: a file can change between two loads in one process (tests)
  const bundled = await Promise.all(files.map((file) => bundle({ file }, { name: 'design', keepNames: true })
    .then((b) => ({ file, bundle: b }), (err: unknown) => ({ file, problem: buildProblem(err) }))));
  const describer = await bundleOnce('describe-node', { file: DESCRIBE_NODE }, { name: 'describe' });
  await stopBundling();
  const pairs = bundled.flatMap((b) => ('bundle' in b ? [b.file, b.bundle] : []));
  let run: BoundedRun | undefined;
  try {
    if (pairs.length) run = await runBounded(process.execPath, [describer, ...pairs], { env: withoutCredentials(process.env), ...describeLimits() });
  } finally {
    for (const b of bundled) if ('bundle' in b) discard(b.bundle);
  }
  const answers = new Map<string, Described>();
  for (const b of bundled) if ('problem' in b) answers.set(b.file, { file: b.file, loadError: b.problem });
  let done = !run;
  for (const line of run?.stdout.split('\n') ?? []) {
    if (!line.startsWith(DESCRIBE_MARK)) continue;
    try {
      const m = JSON.parse(line.slice(DESCRIBE_MARK.length)) as Described;
      if ('done' in m) done = true;
      else answers.set(m.file, m);
    } catch {
      /* a partial line of a killed child */
    }
  }
  const out = new Map<string, DesignDescriptor | Error>();
  let culprit: string | undefined;
  for (const file of files) {
    const m = answers.get(file);
    if (m) {
      try {
        out.set(file, fromNodeExports(file, m));
      } catch (err) {
        out.set(file, err as Error);
      }
    } else {
      // the first module without an answer is the one the child was importing when it ended
      culprit ??= file;
      out.set(file, new UsageError(culprit === file
        ? `design module ${file}: ${done || !run ? 'not described' : endedEarly(run)}`
        : `design module ${file}: not reached (design module ${culprit} stopped the describing process first)`));
    }
  }
  return out;
}

async function describeNode(file: string): Promise<DesignDescriptor> {
  const d = (await describeNodeModules([file])).get(file)!;
  if (d instanceof Error) throw d;
  return d;
}

/** A python module's answer: the descriptor's fields, or the problem that stops it. */
type PythonAnswer = Record<string, unknown>;
const isAnswer = (v: unknown): v is PythonAnswer =>
  typeof v === 'object' && v !== null && (typeof (v as PythonAnswer).problem === 'string' || typeof (v as PythonAnswer).id === 'string');

function fromPythonAnswer(file: string, v: PythonAnswer): DesignDescriptor {
  if (typeof v.problem === 'string') {
    const e = new UsageError(`design module ${file}: ${firstLine(v.problem)}`);
    throw v.missing ? Object.assign(e, { missing: v.missing }) : e;
  }
  return checkShape(file, { ...v, planningBytesPerEntry: v.planning_bytes_per_entry ?? undefined, whatIf: v.what_if ?? undefined }, 'python');
}

/**
 * Runs the python worker's --describe mode for python modules in one interpreter (the built-ins together: one
 * start-up and one import of the OpenStack libraries, not one each): one JSON line per module, in order. A module
 * that ends or stalls the interpreter fails with the reason; the modules after it are not reached.
 */
export async function describePythonModules(files: string[]): Promise<Map<string, DesignDescriptor | Error>> {
  const run = await runBounded(PYTHON, ['-u', PYTHON_WORKER, '--describe', ...files], { env: pythonEnv(), ...describeLimits() });
  const out = new Map<string, DesignDescriptor | Error>();
  if (run.spawnError) {
    const e = run.spawnError;
    const why = e.code === 'ENOENT' ? `${PYTHON} not found (apt-get install -y python3)` : `cannot run ${PYTHON}: ${e.message}`;
    for (const file of files) out.set(file, new DesignUnavailable(file, why));
    return out;
  }
  const answers: PythonAnswer[] = [];
  for (const line of run.stdout.split('\n')) {
    try {
      const v: unknown = JSON.parse(line);
      if (isAnswer(v)) answers.push(v);
    } catch {
      /* not an answer: a partial line of a stopped child */
    }
  }
  const stopped = run.timedOut || run.cpuExceeded || run.overflowed;
  let culprit: string | undefined;
  for (const [i, file] of files.entries()) {
    const v = answers[i];
    if (v) {
      try {
        out.set(file, fromPythonAnswer(file, v));
      } catch (err) {
        out.set(file, err as Error);
      }
      continue;
    }
    // the first module without an answer is the one the interpreter was importing when it ended
    culprit ??= file;
    out.set(file, new UsageError(culprit === file
      ? `design module ${file}: ${run.code === 0 && !stopped ? 'printed no description' : endedEarly(run)}`
      : `design module ${file}: not reached (design module ${culprit} stopped the describing process first)`));
  }
  return out;
}

async function describePython(file: string): Promise<DesignDescriptor> {
  const d = (await describePythonModules([file])).get(file)!;
  if (d instanceof Error) throw d;
  return d;
}

const KINDS: Array<[(s: import('node:fs').Stats) => boolean, string]> = [
  [(s) => s.isDirectory(), 'a directory'], [(s) => s.isFIFO(), 'a FIFO'], [(s) => s.isCharacterDevice(), 'a character device'],
  [(s) => s.isBlockDevice(), 'a block device'], [(s) => s.isSocket(), 'a socket'],
];

/** The module's absolute path, when it is a regular file (symlinks followed): a FIFO would block its reader, /dev/zero never end. */
function regularFile(path: string): string {
  const file = resolve(path);
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`design module ${path}: ${code === 'ENOENT' ? 'no such file' : `cannot be read (${code})`}`);
  }
  if (!st.isFile()) throw new UsageError(`design module ${path}: is ${KINDS.find(([is]) => is(st))?.[1] ?? 'not a file'}, not a regular file`);
  return file;
}

/** The checks every module passes before it is imported: a regular file with a design's extension. */
export function moduleFile(path: string): { file: string; runtime: 'node' | 'python' } {
  const file = regularFile(path);
  const ext = extname(file);
  if (NODE_EXT.has(ext)) return { file, runtime: 'node' };
  if (ext === '.py') return { file, runtime: 'python' };
  throw new UsageError(`design module ${path}: must end in .ts, .mts, .js, .mjs (node) or .py (python), not "${ext || basename(file)}"`);
}

/** Reads one module's descriptor, checking it on the way. */
export async function describeModule(path: string): Promise<DesignDescriptor> {
  const { file, runtime } = moduleFile(path);
  return runtime === 'node' ? describeNode(file) : describePython(file);
}
