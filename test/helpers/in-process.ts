// Runs an entry script's main() inside the test process, through the same runMain the script uses, and returns
// what a user would see: the exit code runMain set, stdout and stderr. Much cheaper than a node + tsx process per
// case, for usage errors (exit 2 before anything starts). One call at a time: it swaps process.env entries, the
// two streams' write() and process.exitCode for the duration of the call.
import { runMain } from '../../src/cli/errors.ts';

export interface InProcessRun {
  status: number;
  stdout: string;
  stderr: string;
}

let busy = false;

export async function runInProcess(main: (argv: string[]) => Promise<number | void>, argv: string[], env: NodeJS.ProcessEnv = {}): Promise<InProcessRun> {
  if (busy) throw new Error('runInProcess: one call at a time');
  busy = true;
  const savedEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const savedCode = process.exitCode;
  const savedOut = process.stdout.write;
  const savedErr = process.stderr.write;
  let stdout = '';
  let stderr = '';
  const capture = (add: (s: string) => void) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      add(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof process.stdout.write;
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  process.exitCode = undefined;
  process.stdout.write = capture((s) => (stdout += s));
  process.stderr.write = capture((s) => (stderr += s));
  try {
    await runMain(() => main(argv));
    return { status: Number(process.exitCode ?? 0), stdout, stderr };
  } finally {
    process.stdout.write = savedOut;
    process.stderr.write = savedErr;
    process.exitCode = savedCode;
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    busy = false;
  }
}
