// Every store call is bounded: a dead server fails it at once, a frozen one within the timeout, never a hang.
// (A client library's own command timeout covers a command only until it is written to the socket.)
import { errorLine } from '../util/text.ts';

/**
 * Resolves as `p` does, or rejects with "<store> did not answer <what> within <ms> ms"; a failure of `p` becomes
 * "<store> <what> failed: <why>", its first line, passed through `explain` (a client's cryptic wording, reworded).
 * One promise and one timer per call: a store design's worker makes one per entry.
 */
export function bounded<T>(store: string, p: Promise<T>, ms: number, what: string, explain: (message: string) => string = (m) => m): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${store} did not answer ${what} within ${ms} ms`)), ms);
    p.then((value) => {
      clearTimeout(timer);
      resolve(value);
    }, (err: unknown) => {
      clearTimeout(timer);
      const message = errorLine(err);
      reject(new Error(`${store} ${what} failed: ${explain(message)}`));
    });
  });
}
