// What the describing child (describe-node.ts) prints for each node design module it imports, and how an import
// error is cut to the line that says what is wrong. Shared by the child and the parent (load.ts).

/** Marks the child's own lines on stdout: a module that prints at import cannot be taken for an answer. */
export const DESCRIBE_MARK = 'kcb-describe ';

export type Described =
  | { file: string; exports: Record<string, unknown> }
  | { file: string; problem: string }
  | { file: string; loadError: string }
  | { done: true };

/** The line of an import error that says what is wrong (the modules are bundled already: a runtime error's first line). */
export const importProblem = (text: string) => text.split('\n').map((l) => l.trim()).find(Boolean) ?? '';
