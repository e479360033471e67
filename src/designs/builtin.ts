// The designs shipped with the harness: one line each. They load through the same door as a user's
// --design-module, so adding a built-in design is one new module plus one line here.
import { fileURLToPath } from 'node:url';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export const BUILTIN_MODULES: string[] = [
  here('./full-client.ts'),
  here('./token-record.ts'),
  here('./redis-handle.ts'),
  here('./redis-handle-encrypted.ts'),
  here('./python_keystoneclient.py'),
];
