"""python-auth-state: a shared cache in memcached, the way OpenStack services share cached state (oslo.cache /
keystonemiddleware style: memcached, client-side hashing over several servers).

The python process keeps only (trust id, memcached key) per trust. The value in memcached is keystoneauth1's own
serialised plugin state, `plugin.get_auth_state()`: JSON {auth_token, body} with the whole token body (catalog
included, ~8.7 KB with 13 services). A live plugin holds a lock and cannot be pickled, so the shared cache holds
this string, not the object. Key = key_prefix + sha256(trust id) (never the trust id itself); TTL = until 120 s
before the token expires (keystoneauth's MIN_TOKEN_LIFE_SECONDS), so a stale token is never served from the store.

create()/token(): build a keystoneauth1 v3.Password plugin for the trust, install the stored state on a hit
(`set_auth_state`), and let keystoneauth decide: it authenticates only when there is no state or the token is within
120 s of expiry (one POST through the process's one shared keystoneauth Session, keep-alive). A new token's state is
written back. A create() that finds another worker's state therefore costs no token (first worker pays, others hit).
Store location: ctx.stores['memcached'] = {socket_path} (private server, unix socket) or {servers: [host:port |
/path.sock, ...]} (pymemcache HashClient, rendezvous hashing client-side)."""
import hashlib
import time

ID = 'python-auth-state'
TITLE = "a (trust id, key) per trust in process; keystoneauth's get_auth_state() JSON (token + body) in memcached"
TOPOLOGY = 'shared'
NEEDS = ['memcached']
REQUIRES = ['pymemcache', 'keystoneauth1']
PLANNING_BYTES_PER_ENTRY = 512

from keystoneauth1 import session as ka_session  # noqa: E402
from keystoneauth1.identity import v3  # noqa: E402
from pymemcache.client.base import Client  # noqa: E402
from pymemcache.client.hash import HashClient  # noqa: E402

MARGIN_S = 120  # keystoneauth1 BaseIdentityPlugin.MIN_TOKEN_LIFE_SECONDS
_per_ctx = {}


class _Shared:
    """Per process: one memcached client and one keystoneauth Session (one keep-alive pool)."""

    def __init__(self, ctx):
        loc = ctx.stores.get('memcached')
        if not loc:
            raise RuntimeError('python-auth-state: no memcached store in ctx.stores')
        t = ctx.timeout
        if loc.get('socket_path'):
            self.mc = Client(loc['socket_path'], connect_timeout=t, timeout=t)
        elif loc.get('servers'):
            servers = [s if s.startswith('/') else (s.rsplit(':', 1)[0].strip('[]'), int(s.rsplit(':', 1)[1]))
                       for s in loc['servers']]
            self.mc = HashClient(servers, connect_timeout=t, timeout=t, retry_attempts=ctx.retries + 1)
        else:
            raise RuntimeError('python-auth-state: ctx.stores.memcached has neither socket_path nor servers')
        self.prefix = ctx.key_prefix
        self.session = ka_session.Session(timeout=t)
        self.writes = 0
        self.hits = 0


def _shared(ctx):
    s = _per_ctx.get(id(ctx))
    if s is None:
        s = _per_ctx[id(ctx)] = _Shared(ctx)
    return s


def _key(shared, trust_id):
    return shared.prefix + hashlib.sha256(trust_id.encode()).hexdigest()


def _token(trust_id, key, ctx):
    sh = _shared(ctx)
    plugin = v3.Password(auth_url=ctx.auth_url, username=ctx.username, password=ctx.password,
                         user_domain_name=ctx.user_domain_name, trust_id=trust_id)
    raw = sh.mc.get(key)
    if raw is not None:
        plugin.set_auth_state(raw.decode('utf-8'))
        sh.hits += 1
    before = plugin.auth_ref
    tok = plugin.get_token(sh.session)  # keystoneauth authenticates only without state or near expiry
    ref = plugin.auth_ref
    if ref.trust_id != trust_id:
        raise RuntimeError('python-auth-state: token is not scoped to the requested trust')
    if ref is not before:  # a new token: share it
        ttl = int(ref.expires.timestamp() - MARGIN_S - time.time())
        if ttl > 0:
            sh.mc.set(key, plugin.get_auth_state().encode('utf-8'), expire=ttl, noreply=False)
            sh.writes += 1
    return tok


def create(trust_id, ctx):
    key = _key(_shared(ctx), trust_id)
    _token(trust_id, key, ctx)
    return (trust_id, key)


def token(entry, ctx):
    return _token(entry[0], entry[1], ctx)
