// The designs shipped with the harness: one line each. They load through the same door as a user's
// --design-module, so adding a built-in design is one new module plus one line here.
import { fileURLToPath } from 'node:url';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export const BUILTIN_MODULES: string[] = [
  here('../designs/full-client.ts'),
  here('../designs/token-record.ts'),
  here('../designs/redis-handle.ts'),
  here('../designs/redis-handle-encrypted.ts'),
  here('../designs/memcached-handle.ts'),
  here('../designs/python_keystoneclient.py'),
  here('../designs/aodh_trusted_client.py'),
  here('../designs/aodh_session.py'),
  here('../designs/aodh_session_nocatalog.py'),
  here('../designs/aodh_shared_session.py'),
  here('../designs/python_token_record.py'),
  here('../designs/python_auth_state.py'),
];
