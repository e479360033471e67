// All designs of a run: the built-ins and the user's --design-module files, checked and descriptor-ready.
// A built-in whose packages are missing on this machine is unavailable (the run goes on without it); a
// user's module with any problem stops the run before it starts.
import { basename, extname } from 'node:path';
import { UsageError } from '../util/usage-error.ts';
import { BUILTIN_MODULES } from './builtin.ts';
import type { DesignDescriptor } from '../designs/descriptor.ts';
import { describeModule, DesignUnavailable } from './load.ts';

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
 * Each built-in is described once per process (a python built-in costs a python3 that imports its packages);
 * a process that loads the designs again — the tests, which run the CLI's main in-process — reuses the answer.
 */
const builtinDescriptions = new Map<string, Promise<DesignDescriptor>>();
const describeBuiltin = (file: string) => {
  let d = builtinDescriptions.get(file);
  if (!d) builtinDescriptions.set(file, (d = describeModule(file)));
  return d;
};

/** `wanted`: the design ids a run asked for (undefined: all); other built-ins are not described (a python3 each). */
export async function loadDesigns(userModules: string[] = [], builtins: string[] = BUILTIN_MODULES, wanted?: string[]): Promise<DesignSet> {
  const unavailable = new Map<string, string>();
  const asked = wanted ? builtins.filter((f) => wanted.includes(idFromFile(f))) : builtins;
  const described = await Promise.all(asked.map(async (file) => {
    try {
      return { ...(await describeBuiltin(file)), builtin: true };
    } catch (err) {
      const why = (err as Error).message.replace(/^design module \S+: /, '');
      unavailable.set(idFromFile(file), err instanceof DesignUnavailable ? why : `${why} (run npm run setup)`);
      return undefined;
    }
  }));
  const designs = described.filter((d): d is DesignDescriptor => d !== undefined);
  // One at a time, so a clash is reported against the file that came first.
  for (const path of userModules) {
    let d: DesignDescriptor;
    try {
      d = await describeModule(path);
    } catch (err) {
      if (err instanceof DesignUnavailable) throw new UsageError(`design module ${path}: ${err.message}`);
      throw err;
    }
    const clash = designs.find((x) => x.id === d.id) ?? (unavailable.has(d.id) ? { module: 'a built-in design' } : undefined);
    if (clash) throw new UsageError(`design module ${path}: id "${d.id}" is already taken by ${clash.module}`);
    designs.push(d);
  }
  return { designs, unavailable, known: [...new Set([...builtins.map(idFromFile), ...designs.map((d) => d.id)])] };
}
