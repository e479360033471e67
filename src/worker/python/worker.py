"""The generic python worker: loads one python design module by path and measures it.

THE MODULE CONTRACT (a python design is one .py file):
  ID        str, the design id (e.g. 'python-token-record')
  TITLE     str, one line: what one cached trust keeps
  TOPOLOGY  'per-worker' (every notifier process keeps its own cache) or 'shared' (a store serves them all)
  REQUIRES  optional list of importable module names (checked before the module runs: a missing one is named)
  NEEDS     optional list of stores, each 'redis' or 'memcached'; ctx.stores[name] says where the store is
  PLANNING_BYTES_PER_ENTRY  optional int, RSS estimate per entry for the harness's memory guard
  WHAT_IF   optional (design id, change): this design is that one with one change (its saving is measured)
  create(trust_id, ctx) -> entry     authenticate with the trust (a real token request, or a store hit for a
                                     shared design) and return what the cache keeps for it
  token(entry, ctx) -> str           a usable token id from the entry, re-authenticating near expiry
  ctx: auth_url, username, password, user_domain_name, timeout (s), retries, stores (dict), key_prefix,
       authenticate(trust_id, catalog=True) -> {'token', 'expires_at' (epoch s), 'body' (str)}: one trust-scoped
       POST {auth_url}/auth/tokens over the process's keep-alive connection, retries on 5xx/network errors.
  This directory is on sys.path: a design may `import kcb_context` / `import kcb_aodh`.

MODES
  python3 -u worker.py --describe MODULE.py [MODULE.py ...]
      one JSON line per module, in order: {"id","title","topology","requires","needs","planning_bytes_per_entry",
      "what_if"} or {"problem": "<file>: <problem>"}; exit 0 when every module is described, else 1. Several
      modules share one interpreter (the built-ins: one start-up and one import of the OpenStack libraries).
  python3 -u worker.py           (sample mode; line-delimited JSON; stdout carries protocol lines ONLY)
      <- {"type":"start","module","ctx":{auth_url,username,password,user_domain_name,timeout_s,retries,stores},
          "warmup_trust_id","warmup","capacity","trace"}
      -> {"type":"ready","memory":{"rss",...}}                         after warm-up and gc settling; memory also
                                           has pymalloc_arenas and malloc_held, or with trace (the cross-check
                                           worker only) tracemalloc and tracemalloc_own (kcb_memstats.py)
      <- {"type":"grow","trust_ids":[...]}
      -> {"type":"reading","n","memory":{...},"build_ms","tokens","auth_requests"}
         tokens = ctx.authenticate calls so far; auth_requests = every POST .../auth/tokens the process sent
         through http.client (also counts library designs that do not use ctx.authenticate)
      <- {"type":"snapshot","path"}        the cross-check worker, after its last reading: the object graph
                                           (kcb_graph.py) written to path; with trace, the top allocation sites
      -> {"type":"snapshot-written","sites":[{"site","bytes_per_entry","blocks_per_entry"}...]}
      <- {"type":"release"}                                             flush, os._exit(0)
      -> {"type":"error","message","setup"} and exit 1 on any failure (scrubbed: no password, no token id)
Credentials arrive on stdin only, never argv/env.
"""
import ast
import gc
import hashlib
import importlib
import importlib.util
import json
import os
import resource
import sys
import time
import tracemalloc

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from kcb_stdio import emit, flush  # noqa: E402  (first: it moves library output off the protocol channel)

import kcb_context  # noqa: E402  (after the stdout swap: nothing it does may print on the protocol)
import kcb_graph  # noqa: E402
import kcb_memstats  # noqa: E402
from kcb_context import scrub, rss_bytes, settle  # noqa: E402

# the harness's registered stores (src/stores/index.ts), handed over by the parent
STORES = tuple(s for s in os.environ.get('KCB_STORE_IDS', '').split(',') if s)
TOPOLOGIES = ('per-worker', 'shared')



class KcbHeldEntries:
    """What the worker holds its entries in: the object-graph analysis finds the entries as this object's
    `entries` list, as it finds a node worker's KcbHeldEntries in a V8 heap snapshot."""
    __slots__ = ('entries',)

    def __init__(self, capacity):
        self.entries = [None] * capacity  # pre-sized: the list's growth is not a per-entry cost


class Problem(Exception):
    """A contract problem, already phrased as one line that names the file."""


def _literal_requires(tree):
    """REQUIRES as a literal, read from the source before the module runs (None when absent or not a literal)."""
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == 'REQUIRES' for t in targets) and node.value is not None:
                try:
                    return ast.literal_eval(node.value)
                except ValueError:
                    return None
    return None


def _check_requires(name, requires):
    if not isinstance(requires, (list, tuple)) or not all(isinstance(r, str) and r for r in requires):
        raise Problem('%s: REQUIRES must be a list of module names' % name)
    for r in requires:
        try:
            importlib.import_module(r)
        except Exception as e:  # noqa: BLE001
            raise Problem('%s: REQUIRES %r does not import (%s: %s)' % (name, r, type(e).__name__, e))


def load_design(path):
    """Import a design module by path and check the contract. Returns (module, description) or raises Problem."""
    name = os.path.basename(path)
    try:
        with open(path, 'rb') as f:
            source = f.read()
    except OSError as e:
        raise Problem('%s: cannot read the file (%s)' % (path, e.strerror or e))
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as e:
        raise Problem('%s: syntax error at line %s: %s' % (name, e.lineno, e.msg))
    early = _literal_requires(tree)
    if early is not None:
        _check_requires(name, early)  # name a missing package before the module's own import fails on it
    modname = 'kcb_design_' + hashlib.sha1(os.path.abspath(path).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(modname, path)
    if spec is None or spec.loader is None:
        raise Problem('%s: not loadable as a python module' % name)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[modname] = mod
    try:
        spec.loader.exec_module(mod)
    except ImportError as e:
        raise Problem('%s: import error: %s: %s' % (name, type(e).__name__, e))
    except SyntaxError as e:  # a syntax error in something it imports
        raise Problem('%s: syntax error in %s at line %s: %s' % (name, os.path.basename(e.filename or '?'), e.lineno, e.msg))
    except Exception as e:  # noqa: BLE001
        raise Problem('%s: failed while importing: %s: %s' % (name, type(e).__name__, e))

    missing = [a for a in ('ID', 'TITLE', 'TOPOLOGY', 'create', 'token') if not hasattr(mod, a)]
    if missing:
        raise Problem('%s: missing %s (a design module defines ID, TITLE, TOPOLOGY, create, token)' % (name, ', '.join(missing)))
    for attr in ('ID', 'TITLE'):
        v = getattr(mod, attr)
        if not isinstance(v, str) or not v.strip():
            raise Problem('%s: %s must be a non-empty string, not %s' % (name, attr, type(v).__name__))
    if mod.TOPOLOGY not in TOPOLOGIES:
        raise Problem('%s: TOPOLOGY must be one of %s, not %r' % (name, ' or '.join(repr(t) for t in TOPOLOGIES), mod.TOPOLOGY))
    for fn in ('create', 'token'):
        if not callable(getattr(mod, fn)):
            raise Problem('%s: %s must be a function' % (name, fn))
    requires = getattr(mod, 'REQUIRES', [])
    _check_requires(name, requires)
    needs = getattr(mod, 'NEEDS', [])
    if not isinstance(needs, (list, tuple)) or not all(isinstance(s, str) for s in needs):
        raise Problem('%s: NEEDS must be a list of store names' % name)
    bad = [s for s in needs if s not in STORES]
    if bad:
        raise Problem('%s: NEEDS names unknown store(s) %s (known: %s)' % (name, ', '.join(map(repr, bad)), ', '.join(STORES)))
    what_if = getattr(mod, 'WHAT_IF', None)
    if what_if is not None and not (isinstance(what_if, (tuple, list)) and len(what_if) == 2 and all(isinstance(x, str) and x for x in what_if)):
        raise Problem('%s: WHAT_IF must be (design id, change)' % name)
    planning = getattr(mod, 'PLANNING_BYTES_PER_ENTRY', None)
    if planning is not None and (isinstance(planning, bool) or not isinstance(planning, int) or planning <= 0):
        raise Problem('%s: PLANNING_BYTES_PER_ENTRY must be a positive int' % name)
    return mod, {'id': mod.ID, 'title': mod.TITLE, 'topology': mod.TOPOLOGY, 'requires': list(requires),
                 'needs': list(needs), 'planning_bytes_per_entry': planning,
                 'what_if': {'of': what_if[0], 'change': what_if[1]} if what_if else None}


def describe(path):
    try:
        _, desc = load_design(path)
    except Problem as p:
        emit({'problem': scrub(str(p))})
        return 1
    except Exception as e:  # noqa: BLE001
        emit({'problem': scrub('%s: %s: %s' % (os.path.basename(path), type(e).__name__, e))})
        return 1
    emit(desc)
    return 0


def memory():
    out = {'rss': rss_bytes()}
    out.update(kcb_memstats.readings())
    return out


def _raise_fd_limit():
    # Designs that keep a connection pool per entry keep a socket per entry: do not fail at 1024.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass


def sample():
    state = {'setup': True}
    try:
        _sample(state)
    except Exception as e:  # noqa: BLE001 - every failure becomes one scrubbed protocol line
        msg = str(e) if isinstance(e, (Problem, kcb_context.KeystoneError)) else '%s: %s' % (type(e).__name__, e)
        emit({'type': 'error', 'message': scrub(msg), 'setup': state['setup']})
        flush()
        os._exit(1)


def _sample(state):
    _raise_fd_limit()
    line = sys.stdin.readline()
    if not line:
        raise RuntimeError('no start message on stdin')
    start = json.loads(line)
    if start.get('type') != 'start':
        raise RuntimeError('expected a start message, got %r' % start.get('type'))
    kcb_context.register_secret(start['ctx'].get('password'))
    trace = bool(start.get('trace', False))
    capacity = int(start.get('capacity', 0))
    warmup = int(start.get('warmup', 1))
    mod, _ = load_design(start['module'])
    ctx = kcb_context.Context(start['ctx'])
    create, token = mod.create, mod.token
    if trace:
        tracemalloc.start()  # after the imports, before the warm-up

    warm_id = start['warmup_trust_id']
    del start, line
    warm = [create(warm_id, ctx) for _ in range(warmup)]
    if warm:
        t = token(warm[-1], ctx)
        if not isinstance(t, str) or not t:
            raise RuntimeError('%s: token() returned %s, not a token string' % (mod.ID, type(t).__name__))
        del t
    del warm
    settle()
    emit({'type': 'ready', 'memory': memory()})
    # the cross-check's baseline for the allocation sites; held aside, a constant that does not grow with N
    traced_before = tracemalloc.take_snapshot() if trace else None

    held = KcbHeldEntries(capacity)
    entries = held.entries
    n = 0
    while True:
        line = sys.stdin.readline()
        if not line:
            raise RuntimeError('stdin closed before release')
        msg = json.loads(line)
        del line
        kind = msg.get('type')
        if kind == 'release':
            flush()
            os._exit(0)  # skip teardown of 10^4 cyclic clients: nothing is left to flush
        if kind == 'snapshot':
            sites = []
            if trace:
                sites = kcb_memstats.top_sites(traced_before, tracemalloc.take_snapshot(), n)
                traced_before = None
                tracemalloc.stop()  # its traces are not the entries'; the graph walk need not be traced either
            kcb_graph.write_graph(msg['path'], skip=(msg, sites))
            emit({'type': 'snapshot-written', 'sites': [dict(s, site=scrub(s['site'])) for s in sites]})
            continue
        if kind != 'grow':
            raise RuntimeError('unknown message type %r' % kind)
        state['setup'] = False
        ids = msg['trust_ids']
        del msg
        if n + len(ids) > capacity:
            raise RuntimeError('grow beyond capacity %d (have %d, asked %d more)' % (capacity, n, len(ids)))
        tid = None
        t0 = time.perf_counter()
        for tid in ids:
            entries[n] = create(tid, ctx)
            n += 1
        build_ms = (time.perf_counter() - t0) * 1000
        del ids, tid
        settle()
        emit({'type': 'reading', 'n': n, 'memory': memory(), 'build_ms': build_ms,
              'tokens': ctx.authentications, 'auth_requests': kcb_context.AUTH_POSTS[0]})


def main(argv):
    if len(argv) >= 2 and argv[1] == '--describe':
        if len(argv) < 3:
            emit({'problem': 'usage: worker.py --describe MODULE.py [MODULE.py ...]'})
            return 1
        return max(describe(path) for path in argv[2:])
    if len(argv) != 1:
        emit({'problem': 'usage: worker.py [--describe MODULE.py]'})
        return 1
    sample()
    return 0


if __name__ == '__main__':
    code = main(sys.argv)
    flush()
    os._exit(code)
