// Where the python runtime lives and how its children are started: Debian's python (where the OpenStack
// libraries are installed), never the pyenv python on PATH, in a clean environment without credentials.
import { fileURLToPath } from 'node:url';
import { STORE_IDS } from '../../stores/index.ts';

export const PYTHON = '/usr/bin/python3';
export const PYTHON_WORKER = fileURLToPath(new URL('./worker.py', import.meta.url));

/** No PYTHONPATH/PYTHONHOME (they would break Debian's python), no user site, no credentials, no proxy for loopback. */
export function pythonEnv(): NodeJS.ProcessEnv {
  // the stores a python design may name in NEEDS: the harness's list, so a store is registered in one place
  const env: NodeJS.ProcessEnv = { PATH: '/usr/bin:/bin', LC_ALL: 'C.UTF-8', PYTHONNOUSERSITE: '1', PYTHONDONTWRITEBYTECODE: '1', KCB_STORE_IDS: STORE_IDS.join(',') };
  for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) if (process.env[k]) env[k] = process.env[k];
  env.no_proxy = env.NO_PROXY = [process.env.no_proxy ?? process.env.NO_PROXY, '127.0.0.1,localhost,::1'].filter(Boolean).join(',');
  return env;
}
