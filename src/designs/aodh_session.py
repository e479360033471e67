"""aodh-session: what Aodh master (Aug 2026) builds per trust notification: only the keystoneauth1 plugin and the
session, as its keystone_client.get_trusted_session(conf, trust_id) does — keystoneauth1 generic Password(username,
password, auth_url, user_domain_id, user_domain_name, trust_id) + ka_loading.load_session_from_conf_options(conf,
'service_credentials', auth=plugin) — then session.get_auth_headers() for the X-Auth-Token. No keystoneclient Client.
The installed Aodh 15 has no get_trusted_session; if a newer python3-aodh provides it, it is called instead of this
replica. Entry = the session (with its plugin, holding the AccessInfo: token id + parsed body with catalog).
token() = get_auth_headers()['X-Auth-Token'] (keystoneauth re-authenticates 120 s before expiry)."""
ID = 'aodh-session'
TITLE = "Aodh master's get_trusted_session(): keystoneauth Password plugin + Session, token and catalog held"
TOPOLOGY = 'per-worker'
REQUIRES = ['aodh.keystone_client', 'keystoneauth1', 'oslo_config']
PLANNING_BYTES_PER_ENTRY = 64 * 1024

from aodh import keystone_client  # noqa: E402
from keystoneauth1 import loading as ka_loading  # noqa: E402
import kcb_aodh  # noqa: E402

CFG_GROUP = keystone_client.CFG_GROUP


def get_trusted_session(conf, trust_id):
    if hasattr(keystone_client, 'get_trusted_session'):
        return keystone_client.get_trusted_session(conf, trust_id)
    auth_plugin = kcb_aodh.trusted_password(conf, trust_id)
    return ka_loading.load_session_from_conf_options(conf, CFG_GROUP, auth=auth_plugin)


def create(trust_id, ctx):
    sess = get_trusted_session(kcb_aodh.conf_for(ctx), trust_id)
    if not sess.get_auth_headers().get('X-Auth-Token'):
        raise RuntimeError('aodh-session: no X-Auth-Token from get_auth_headers')
    access = sess.auth.get_access(sess)  # cached: no request
    if access.trust_id != trust_id:
        raise RuntimeError('aodh-session: token is not scoped to the requested trust')
    if not access.has_service_catalog():
        raise RuntimeError('aodh-session: token response carries no service catalog')
    return sess


def token(entry, ctx):
    return entry.get_auth_headers()['X-Auth-Token']
