// All designs of a run: the built-ins and the user's --design-module files, checked and descriptor-ready.
// A built-in whose packages are missing on this machine is unavailable (the run goes on without it); a
// user's module with any problem stops the run before it starts.
import { basename, extname } from 'node:path';
import { UsageError } from '../util/usage-error.ts';
import { BUILTIN_MODULES } from './builtin.ts';
import type { DesignDescriptor } from '../designs/descriptor.ts';
import { describeLimits, describeModule, describeNodeModules, describePythonModules, DesignUnavailable, moduleFile } from './load.ts';

export interface DesignSet {
  designs: DesignDescriptor[];
  /** built-in designs that cannot run here: id → why, with the command that fixes it */
  unavailable: Map<string, string>;
  /** every design id this run knows, built-ins first in their order, whether described or not */
  known: string[];
}

/**
 * A built-in's id is its file's name (python's underscores as dashes; a test holds every built-in to it): a
 * built-in that could not be described is reported under it, and a run that names its designs describes only those.
 */
export const idFromFile = (file: string) => basename(file, extname(file)).replaceAll('_', '-');

/**
 * Each built-in is described once per process, the node ones in one child and the python ones in one interpreter
 * (each python built-in imports keystoneclient or Aodh: one start-up and one import for all, not one each); a
 * process that loads the designs again — the tests, which run the CLI's main in-process — reuses the answer.
 */
const builtinDescriptions = new Map<string, Promise<DesignDescriptor>>();
const BATCHES = { node: describeNodeModules, python: describePythonModules };
function describeBuiltins(files: string[]): Array<Promise<DesignDescriptor>> {
  const fresh = files.filter((f) => !builtinDescriptions.has(f));
  for (const [runtime, describeAll] of Object.entries(BATCHES)) {
    const batch = fresh.filter((f) => {
      try {
        return moduleFile(f).runtime === runtime;
      } catch {
        return false; // describeModule says why
      }
    });
    if (!batch.length) continue;
    const described = describeAll(batch);
    for (const f of batch) {
      builtinDescriptions.set(f, described.then((m) => {
        const d = m.get(f)!;
        if (d instanceof Error) throw d;
        return d;
      }));
    }
  }
  for (const f of fresh) if (!builtinDescriptions.has(f)) builtinDescriptions.set(f, describeModule(f));
  return files.map((f) => builtinDescriptions.get(f)!);
}

/** `wanted`: the design ids a run asked for (undefined: all); other built-ins are not described (a python3 each). */
export async function loadDesigns(userModules: string[] = [], builtins: string[] = BUILTIN_MODULES, wanted?: string[]): Promise<DesignSet> {
  describeLimits(); // a bad KCB_DESCRIBE_CPU_S is the user's error, not every design's
  const unavailable = new Map<string, string>();
  const asked = wanted ? builtins.filter((f) => wanted.includes(idFromFile(f))) : builtins;
  // the user's modules are described beside the built-ins, each in a child of its own
  const mine = userModules.map((path) => describeModule(path).then((d) => ({ d }), (err: Error) => ({ err })));
  const described = await Promise.all(describeBuiltins(asked).map(async (p, i) => {
    try {
      return { ...(await p), builtin: true };
    } catch (err) {
      const why = (err as Error).message.replace(/^design module \S+:? /, '');
      unavailable.set(idFromFile(asked[i]), err instanceof DesignUnavailable ? why : `${why} (run npm run setup)`);
      return undefined;
    }
  }));
  const designs = described.filter((d): d is DesignDescriptor => d !== undefined);
  // In the order given, so a clash is reported against the file that came first. A built-in's id is taken whether
  // or not this run measures it: results, plans and comparisons know designs by id.
  for (const [i, path] of userModules.entries()) {
    const r = await mine[i];
    if ('err' in r) {
      if (r.err instanceof DesignUnavailable) throw new UsageError(`design module ${path}: ${r.err.message}`);
      throw r.err;
    }
    const d = r.d;
    const builtin = builtins.find((f) => idFromFile(f) === d.id);
    const clash = designs.find((x) => x.id === d.id) ?? (builtin ? { module: builtin } : undefined);
    if (clash) throw new UsageError(`design module ${path}: id "${d.id}" is already taken by ${clash.module}`);
    designs.push(d);
  }
  return { designs, unavailable, known: [...new Set([...builtins.map(idFromFile), ...designs.map((d) => d.id)])] };
}
