"""python-keystoneclient: the 2015 post's object, the real python-keystoneclient v3 client built without a session:
keystoneclient.v3.client.Client(auth_url=, username=, password=, user_domain_name=, trust_id=).

python-keystoneclient 5.0.1 (Debian 12) takes the deprecated legacy path for this call: its own
keystoneclient.session.Session (a new TCP connection per request) and self.authenticate() inside __init__: one POST
/v3/auth/tokens per object, no version discovery (the auth_url names /v3). The AccessInfoV3 it keeps holds the
token id and parses the whole body, catalog included. create() checks that (token held, trust scope, catalog), and
forces authentication should a future version turn lazy. token() = entry.auth_token (re-authenticates within
keystoneclient's stale_duration of expiry)."""
import warnings

ID = 'python-keystoneclient'
TITLE = "the post's object: keystoneclient.v3 Client(auth_url, username, password, trust_id), token and catalog held"
TOPOLOGY = 'per-worker'
REQUIRES = ['keystoneclient']
PLANNING_BYTES_PER_ENTRY = 64 * 1024

warnings.simplefilter('ignore', DeprecationWarning)  # the session-less constructor is exactly the post's usage
from keystoneclient.v3 import client as _ks  # noqa: E402


def create(trust_id, ctx):
    c = _ks.Client(auth_url=ctx.auth_url, username=ctx.username, password=ctx.password,
                   user_domain_name=ctx.user_domain_name, trust_id=trust_id, timeout=ctx.timeout)
    if c.auth_ref is None:
        c.authenticate()
    ref = c.auth_ref
    if not ref.auth_token:
        raise RuntimeError('python-keystoneclient: client holds no token after authentication')
    if ref.trust_id != trust_id:
        raise RuntimeError('python-keystoneclient: token is not scoped to the requested trust')
    if not ref.has_service_catalog() or not ref.service_catalog.get_endpoints():
        raise RuntimeError('python-keystoneclient: token response carries no service catalog')
    return c


def token(entry, ctx):
    return entry.auth_token
