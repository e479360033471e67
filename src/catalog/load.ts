// The one door every design comes through, built-in or --design-module: the module is checked before anything
// runs, and each problem is one line naming the file (a UsageError: exit 2, nothing started or written).
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { firstLine } from '../util/text.ts';
import { UsageError } from '../util/usage-error.ts';
import { PYTHON, pythonEnv, PYTHON_WORKER } from '../worker/python/paths.ts';
import { TOPOLOGIES, type NodeDesignModule } from '../designs/contract.ts';
import { STORE_IDS } from '../stores/index.ts';
import { DEFAULT_PLANNING_BYTES, designIdPattern, type DesignDescriptor } from '../designs/descriptor.ts';

const NODE_EXT = new Set(['.ts', '.mts', '.js', '.mjs']);

/** A design that cannot be measured on this machine (its packages are missing): reported, not fatal. */
export class DesignUnavailable extends Error {
  constructor(readonly id: string, message: string) {
    super(message);
  }
}

/** The line of an import error that says what is wrong: esbuild (under tsx) puts it after "Transform failed with 1 error:". */
const importProblem = (text: string) => {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return /^Transform failed with \d+ errors?:$/.test(lines[0] ?? '') && lines[1] ? lines[1] : lines[0] ?? '';
};

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

async function describeNode(file: string): Promise<DesignDescriptor> {
  let mod: { default?: unknown };
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (err) {
    throw new UsageError(`design module ${file} does not load: ${importProblem((err as Error).message)}`);
  }
  const d = mod.default as Partial<NodeDesignModule> | undefined;
  if (!d || typeof d !== 'object') throw new UsageError(`design module ${file}: needs a default export { id, title, topology, open(ctx) }`);
  if (typeof d.open !== 'function') throw new UsageError(`design module ${file}: the default export has no open(ctx) function`);
  return checkShape(file, d as Record<string, unknown>, 'node');
}

/** Runs the python worker's --describe mode: one JSON line, the descriptor or the problem. */
function describePython(file: string): Promise<DesignDescriptor> {
  return new Promise((resolveP, reject) => {
    const child = spawn(PYTHON, ['-u', PYTHON_WORKER, '--describe', file], { env: pythonEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new DesignUnavailable(file, e.code === 'ENOENT' ? `${PYTHON} not found (apt-get install -y python3)` : `cannot run ${PYTHON}: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      let v: Record<string, unknown> | undefined;
      try {
        v = JSON.parse(firstLine(out));
      } catch {
        v = undefined;
      }
      if (v && typeof v.problem === 'string') {
        const e = new UsageError(`design module ${file}: ${firstLine(v.problem)}`);
        return reject(v.missing ? Object.assign(e, { missing: v.missing }) : e);
      }
      if (code !== 0 || !v) return reject(new UsageError(`design module ${file} cannot be described: ${firstLine(err) || `exit code ${code}`}`));
      try {
        resolveP(checkShape(file, { ...v, planningBytesPerEntry: v.planning_bytes_per_entry ?? undefined, whatIf: v.what_if ?? undefined }, 'python'));
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** Reads one module's descriptor, checking it on the way. */
export async function describeModule(path: string): Promise<DesignDescriptor> {
  const file = resolve(path);
  if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`design module ${path}: no such file`);
  const ext = extname(file);
  if (NODE_EXT.has(ext)) return describeNode(file);
  if (ext === '.py') return describePython(file);
  throw new UsageError(`design module ${path}: must end in .ts, .mts, .js, .mjs (node) or .py (python), not "${ext || basename(file)}"`);
}
