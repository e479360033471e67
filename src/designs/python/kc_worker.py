"""One python sample of the python-keystoneclient reference design (the post's object), run by runner.ts.

Protocol (line-delimited JSON; stdout carries protocol lines ONLY, everything else goes to stderr):
  stdin  <- {"auth_url", "username", "password", "user_domain_name", "trust_ids": [warmup, t1..tn], "n",
             "variant": "constructed" | "authenticated", "trace"?: bool (default false)}
  stdout -> {"type": "reading", "rss", "rss_baseline", "tracemalloc", "tracemalloc_baseline",
             "tracemalloc_overhead", "build_ms", "tokens_seen", "catalogs_seen"}
  stdin  <- "release"   (the parent reads our RSS with pidusage in between; the objects stay alive until then)
  stdout -> {"type": "error", "message"} and exit 1 on any failure; the message is scrubbed of secrets.
Credentials arrive on stdin only, never argv/env, so `ps` and /proc/<pid>/environ cannot show them.

What python-keystoneclient 5.0.1 does with the post's call (verified against the stand-in, see the test):
  client.Client(auth_url=.../v3, username=, password=, user_domain_name=, trust_id=) WITHOUT session= takes the
  deprecated legacy path: it builds its own keystoneclient.session.Session (whose _FakeRequestSession opens a new
  TCP connection per request) and calls self.authenticate() inside __init__: exactly one POST /v3/auth/tokens per
  object, no version discovery (the auth_url already names /v3). The AccessInfoV3 it keeps parses the service
  catalog eagerly, so a constructed object already holds its token AND catalog.
  - 'constructed'   = the object exactly as that call leaves it (the post's measurement).
  - 'authenticated' = additionally forces and checks what a cache relies on: authenticate() if auth_ref is
    missing (a future lazy client), read c.auth_token (re-authenticates only if within stale_duration of expiry),
    assert the trust-scoped auth_ref has a catalog. On 5.0.1 this adds no request and (nearly) no memory; it is
    kept as a guard so that the two variants would diverge visibly if the library turned lazy.

Memory readings (both taken after gc.collect() settles, with the list of objects alive):
  - rss: /proc/self/statm resident pages x page size: the same thing `ps` showed in the post.
  - tracemalloc (only with "trace": true; OFF by default): tracemalloc.get_traced_memory()[0] at the reading,
    tracing started right AFTER the imports and BEFORE the warm-up object. It counts the python-heap bytes
    allocated since the imports that are still alive (the n = 0 value holds the warm-up object and one-off caches);
    its slope over n is the per-object python-heap cost. tracemalloc_baseline is the value before the n objects.
  - Why off by default: tracemalloc's own bookkeeping (one trace entry per live block, outside the traced heap)
    costs more than the objects. Measured on 5.0.1 against the stand-in: RSS slope ~101 KB/object traced vs
    ~42 KB/object untraced, and the build is ~5x slower. An RSS reading taken with tracemalloc on is therefore not
    comparable with the post's `ps` figure; tracemalloc is a separate cross-check run (its slope, ~38 KB/object,
    is close to the untraced RSS slope). tracemalloc_overhead = growth of tracemalloc.get_tracemalloc_memory()
    over the build (it explains only part of the RSS inflation: the trace entries are malloc'ed one by one).
"""
import gc
import json
import logging
import os
import re
import sys
import time
import tracemalloc
import warnings

# Protocol lines are written to the real stdout; anything a library prints lands on stderr instead.
_PROTO = sys.stdout
sys.stdout = sys.stderr
# keystoneauth/keystoneclient log token bodies at DEBUG: keep library logging at WARNING, on stderr.
logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
# The session-less constructor is deprecated, and it is exactly the post's usage: do not warn 10,000 times.
warnings.simplefilter('ignore', DeprecationWarning)

_SECRETS = []
_FERNET = re.compile(r'gAAAAA[A-Za-z0-9_\-=]{20,}')
_HEADER_TOKEN = re.compile(r'(x-(?:auth|subject)-token["\']?\s*[:=]\s*["\']?)[^\s"\',}]+', re.I)


def scrub(text):
    """Never let a password or a token id out: known secrets by value, token ids by shape (as src/util/redact.ts)."""
    text = _HEADER_TOKEN.sub(r'\1[token]', _FERNET.sub('[token]', text))
    for s in _SECRETS:
        if s:
            text = text.replace(s, '[secret]')
    return ' '.join(text.split())[:500]


def emit(obj):
    _PROTO.write(json.dumps(obj) + '\n')
    _PROTO.flush()


def rss_bytes():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


def settle():
    # Client objects are reference cycles (managers -> adapter -> session -> auth=client): only the cyclic
    # collector frees garbage among them, and one pass can leave work for the next.
    for _ in range(5):
        if gc.collect() == 0:
            break


def main():
    job = json.loads(sys.stdin.readline())
    password = job['password']
    _SECRETS.append(password)
    n = int(job['n'])
    variant = job['variant']
    trace = bool(job.get('trace', False))
    trust_ids = job['trust_ids']
    if variant not in ('constructed', 'authenticated'):
        raise ValueError('unknown variant %r' % variant)
    if len(trust_ids) < n + 1:
        raise ValueError('need %d trust ids (warm-up + n), got %d' % (n + 1, len(trust_ids)))

    from keystoneclient.v3 import client  # the import cost is paid before any reading

    if trace:
        tracemalloc.start()  # 1 frame: cheapest; only totals are read

    def build(trust_id):
        # The post's call, plus the trust scope the alarm notifier uses (one client per trust).
        c = client.Client(auth_url=job['auth_url'], username=job['username'], password=password,
                          user_domain_name=job['user_domain_name'], trust_id=trust_id)
        if variant == 'authenticated':
            if c.auth_ref is None:
                c.authenticate()
            if not c.auth_token:
                raise RuntimeError('client holds no token after authentication')
            ref = c.auth_ref
            if not ref.has_service_catalog() or not ref.service_catalog.get_endpoints():
                raise RuntimeError('token response carries no service catalog')
            if ref.trust_id != trust_id:
                raise RuntimeError('token is not scoped to the requested trust')
        return c

    warm = build(trust_ids[0])  # imports' lazy parts, first connection, first AccessInfo: not per-object costs
    settle()
    rss0 = rss_bytes()
    tm0 = tracemalloc.get_traced_memory()[0] if trace else None
    own0 = tracemalloc.get_tracemalloc_memory() if trace else None

    objs = [None] * n  # pre-sized: no list growth during the build
    t0 = time.perf_counter()
    for i in range(n):
        objs[i] = build(trust_ids[i + 1])
    build_ms = (time.perf_counter() - t0) * 1000
    settle()
    rss1 = rss_bytes()
    tm1 = tracemalloc.get_traced_memory()[0] if trace else None
    own1 = tracemalloc.get_tracemalloc_memory() if trace else None

    # Counted after the reading (this allocates): distinct tokens and catalogs the objects actually hold.
    tokens = {o.auth_ref.auth_token for o in [warm] + objs if o.auth_ref is not None}
    catalogs = sum(1 for o in objs if o.auth_ref is not None and o.auth_ref.has_service_catalog())
    emit({'type': 'reading', 'rss': rss1, 'rss_baseline': rss0, 'tracemalloc': tm1, 'tracemalloc_baseline': tm0,
          'tracemalloc_overhead': (own1 - own0) if trace else None, 'build_ms': build_ms,
          'tokens_seen': len(tokens), 'catalogs_seen': catalogs})
    del tokens

    # Hold the objects until the parent has read our RSS from outside.
    for line in sys.stdin:
        if line.strip() == 'release':
            break
    # Skip interpreter teardown (freeing 10^4 cyclic clients one by one): nothing is left to flush but stdout.
    _PROTO.flush()
    os._exit(0)


if __name__ == '__main__':
    try:
        main()
    except Exception as e:  # noqa: BLE001 - every failure must become one scrubbed protocol line
        emit({'type': 'error', 'message': scrub('%s: %s' % (type(e).__name__, e))})
        sys.exit(1)
