// A design as the harness knows it: everything else (runner, stores started per sample, the model's topology,
// the memory guard, the sizes it is measured at) derives from these fields, read from the design's own module.
import type { StoreId, Topology } from './contract.ts';

export type Runtime = 'node' | 'python';

export interface DesignDescriptor {
  id: string;
  title: string;
  runtime: Runtime;
  topology: Topology;
  needs: StoreId[];
  /** planning estimate of RSS per entry, bytes: the memory guard only, never a result */
  planningBytesPerEntry: number;
  /** absolute path of the module */
  module: string;
  /** shipped with the harness (measured by default) or loaded with --design-module */
  builtin: boolean;
  /** python: importable module names the design needs */
  requires?: string[];
  /** a what-if: the design it changes, and the change in words (its saving is the difference of the two) */
  whatIf?: WhatIf;
}

export interface WhatIf {
  of: string;
  change: string;
}

/** Planning estimates when a module gives none: a small node entry, a python object. */
export const DEFAULT_PLANNING_BYTES: Record<Runtime, number> = { node: 2048, python: 96 * 1024 };

export const designIdPattern = /^[a-z0-9][a-z0-9._-]{0,63}$/;
