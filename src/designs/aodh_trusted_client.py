"""aodh-trusted-client: what Aodh 15 (Debian 12 python3-aodh 15.0.0, and stable branches up to 2026.1) builds per
trust notification, made by CALLING the installed aodh.keystone_client.get_trusted_client(conf, trust_id):
a keystoneauth1 generic Password plugin with the trust, a keystoneauth Session from the [service_credentials]
options (load_session_from_conf_options: its own requests.Session, so its own connection pool) and a keystoneclient
v3 Client(session=sess) around it. The client is lazy, so create() then does what the notifier does next,
aodh.keystone_client.get_auth_token(client): discovery (GET auth_url) and one POST /v3/auth/tokens; the plugin
then holds the AccessInfo (token id + parsed body with its catalog). token() = get_auth_token(entry): keystoneauth
re-authenticates 120 s before expiry. The conf is built once per process as aodh.service.prepare_service would."""
ID = 'aodh-trusted-client'
TITLE = "Aodh 15's get_trusted_client(conf, trust_id) + get_auth_token(): keystoneclient v3 Client on its own keystoneauth Session, token and catalog held"
TOPOLOGY = 'per-worker'
REQUIRES = ['aodh.keystone_client', 'keystoneclient', 'keystoneauth1', 'oslo_config']
PLANNING_BYTES_PER_ENTRY = 96 * 1024

from aodh import keystone_client  # noqa: E402
import kcb_aodh  # noqa: E402  (beside worker.py, on sys.path)



def create(trust_id, ctx):
    client = keystone_client.get_trusted_client(kcb_aodh.conf_for(ctx), trust_id)
    if not keystone_client.get_auth_token(client):
        raise RuntimeError('aodh-trusted-client: no token after get_auth_token')
    access = client.session.auth.get_access(client.session)  # cached: no request
    if access.trust_id != trust_id:
        raise RuntimeError('aodh-trusted-client: token is not scoped to the requested trust')
    if not access.has_service_catalog():
        raise RuntimeError('aodh-trusted-client: token response carries no service catalog')
    return client


def token(entry, ctx):
    return keystone_client.get_auth_token(entry)
