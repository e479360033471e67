// The designs shipped with the harness: one line each. They load through the same door as a user's
// --design-module, so adding a built-in design is one new module plus one line here.
import { fileURLToPath } from 'node:url';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export const BUILTIN_MODULES: string[] = [
  here('./full-client.ts'),
  here('./token-record.ts'),
  here('./redis-handle.ts'),
  here('./redis-handle-encrypted.ts'),
  here('./memcached-handle.ts'),
  here('./python_keystoneclient.py'),
  here('./aodh_trusted_client.py'),
  here('./aodh_session.py'),
  here('./python_token_record.py'),
  here('./python_auth_state.py'),
];
