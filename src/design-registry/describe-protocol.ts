// What the describing child (describe-node.ts) prints for each node design module it imports. Shared by the child
// and the parent (load.ts).

/** Marks the child's own lines on stdout: a module that prints at import cannot be taken for an answer. */
export const DESCRIBE_MARK = 'kcb-describe ';

export type Described =
  | { file: string; exports: Record<string, unknown> }
  | { file: string; problem: string }
  | { file: string; loadError: string }
  | { done: true };
