"""aodh-session-nocatalog (what-if): aodh-session with the token's catalog left out. The same code path as Aodh
master's get_trusted_session(conf, trust_id) — keystoneauth1 generic Password from [service_credentials] with the
trust, load_session_from_conf_options, get_auth_headers() — with one change: the v3 plugin the generic one creates
asks for its token with ?nocatalog (include_catalog=False). Entry = the session, holding the token and a body
without catalog. Aodh's notifier only needs the X-Auth-Token: it posts to the alarm action's URL, not a catalog
endpoint. Measured beside aodh-session, it says what the catalog costs per cached session."""
ID = 'aodh-session-nocatalog'
TITLE = "what-if: Aodh master's trusted session with include_catalog=False (token held, no catalog)"
TOPOLOGY = 'per-worker'
REQUIRES = ['aodh.keystone_client', 'keystoneauth1', 'oslo_config']
PLANNING_BYTES_PER_ENTRY = 48 * 1024
WHAT_IF = ('aodh-session', 'the token without its catalog')

from aodh import keystone_client  # noqa: E402
from keystoneauth1 import loading as ka_loading  # noqa: E402
import kcb_aodh  # noqa: E402


def create(trust_id, ctx):
    conf = kcb_aodh.conf_for(ctx)
    plugin = kcb_aodh.trusted_password(conf, trust_id, include_catalog=False)
    sess = ka_loading.load_session_from_conf_options(conf, keystone_client.CFG_GROUP, auth=plugin)
    if not sess.get_auth_headers().get('X-Auth-Token'):
        raise RuntimeError('aodh-session-nocatalog: no X-Auth-Token from get_auth_headers')
    access = sess.auth.get_access(sess)  # cached: no request
    if access.trust_id != trust_id:
        raise RuntimeError('aodh-session-nocatalog: token is not scoped to the requested trust')
    if access.has_service_catalog() and access.service_catalog.catalog:
        raise RuntimeError('aodh-session-nocatalog: the token came with a catalog')
    return sess


def token(entry, ctx):
    return entry.get_auth_headers()['X-Auth-Token']
