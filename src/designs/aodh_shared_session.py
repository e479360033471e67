"""aodh-shared-session (what-if): one keystoneauth Session for the whole process, built once from
[service_credentials] as Aodh builds its session (load_session_from_conf_options), and per trust only the plugin
Aodh master's get_trusted_session builds (keystoneauth1 generic Password with the trust), authenticated through the
shared session. Entry = the plugin: the token and its body with the catalog, but no requests.Session, adapters or
urllib3 pool of its own. token() = session.get_auth_headers(auth=entry) (keystoneauth re-authenticates 120 s before
expiry). Measured beside aodh-session, it says what a session of its own costs per cached trust."""
ID = 'aodh-shared-session'
TITLE = "what-if: one shared keystoneauth Session, Aodh's trusted Password plugin per trust (token and catalog held)"
TOPOLOGY = 'per-worker'
REQUIRES = ['aodh.keystone_client', 'keystoneauth1', 'oslo_config']
PLANNING_BYTES_PER_ENTRY = 48 * 1024
WHAT_IF = ('aodh-session', 'one keystoneauth Session shared by every trust')

from aodh import keystone_client  # noqa: E402
from keystoneauth1 import loading as ka_loading  # noqa: E402
import kcb_aodh  # noqa: E402

_sessions = {}


def _session(ctx):
    """The process's one session, per ctx (a worker has one), as Aodh would keep it."""
    s = _sessions.get(id(ctx))
    if s is None:
        s = _sessions[id(ctx)] = ka_loading.load_session_from_conf_options(kcb_aodh.conf_for(ctx), keystone_client.CFG_GROUP)
    return s


def create(trust_id, ctx):
    sess = _session(ctx)
    plugin = kcb_aodh.trusted_password(kcb_aodh.conf_for(ctx), trust_id)
    if not sess.get_auth_headers(auth=plugin).get('X-Auth-Token'):
        raise RuntimeError('aodh-shared-session: no X-Auth-Token from get_auth_headers')
    access = plugin.get_access(sess)  # cached: no request
    if access.trust_id != trust_id:
        raise RuntimeError('aodh-shared-session: token is not scoped to the requested trust')
    if not access.has_service_catalog():
        raise RuntimeError('aodh-shared-session: token response carries no service catalog')
    return plugin


def token(entry, ctx):
    return _session(ctx).get_auth_headers(auth=entry)['X-Auth-Token']
