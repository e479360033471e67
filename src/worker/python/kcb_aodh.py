"""An oslo.config conf for Aodh's keystone_client, registered as aodh.service.prepare_service registers it
([service_credentials]: aodh.keystone_client.OPTS + keystone_client.register_keystoneauth_opts(conf), and the
DEFAULT options of the REST notifier), with the auth options set from the harness ctx. Imported by the aodh designs
and by notifier_baseline.py; needs Debian's python3-aodh (Aodh 15.0.0)."""
from oslo_config import cfg

GROUP = 'service_credentials'


def make_conf(auth_url, username, password, user_domain_name, project_name=None, project_domain_name=None,
              timeout=None):
    from aodh import keystone_client
    from aodh.notifier import rest
    conf = cfg.ConfigOpts()
    conf.register_opts(list(rest.OPTS))                     # aodh.opts: DEFAULT gets aodh.notifier.rest.OPTS
    conf.register_opts(list(keystone_client.OPTS), group=GROUP)
    keystone_client.register_keystoneauth_opts(conf)        # auth_type/auth_section + session options (timeout...)
    conf([], project='aodh', default_config_files=[], validate_default_values=True)
    # what [service_credentials] in aodh.conf says (auth_type = password + the password plugin's options, the set
    # aodh.opts.list_keystoneauth_opts documents); prepare_service registers the plugin options by loading the plugin
    from keystoneauth1 import loading as ka_loading
    conf.register_opts(ka_loading.get_auth_plugin_conf_options('password'), group=GROUP)
    conf.set_override('auth_type', 'password', group=GROUP)
    values = {'auth_url': auth_url, 'username': username, 'password': password,
              'user_domain_name': user_domain_name, 'project_name': project_name,
              'project_domain_name': project_domain_name}
    for k, v in values.items():
        if v is not None:
            conf.set_override(k, v, group=GROUP)
    if timeout is not None:
        conf.set_override('timeout', int(max(1, round(timeout))), group=GROUP)
    ka_loading.load_auth_from_conf_options(conf, GROUP)  # as prepare_service does: fails early on a bad conf
    return conf


def conf_from_ctx(ctx):
    return make_conf(ctx.auth_url, ctx.username, ctx.password, ctx.user_domain_name,
                     getattr(ctx, 'project_name', None), getattr(ctx, 'project_domain_name', None), ctx.timeout)


_confs = {}


def conf_for(ctx):
    """One conf per ctx (a worker has one): built once, as Aodh builds its conf once per process."""
    c = _confs.get(id(ctx))
    if c is None:
        c = _confs[id(ctx)] = conf_from_ctx(ctx)
    return c


def trusted_password(conf, trust_id, include_catalog=True):
    """The plugin Aodh master's keystone_client.get_trusted_session(conf, trust_id) builds: keystoneauth1's generic
    Password from [service_credentials] with the trust. include_catalog=False is the one change a what-if makes:
    the v3 plugin it creates after discovery asks for the token with ?nocatalog."""
    from aodh import keystone_client
    from keystoneauth1.identity.generic import password
    g = conf[keystone_client.CFG_GROUP]
    cls = password.Password if include_catalog else _no_catalog_password()
    return cls(username=g.username, password=g.password, auth_url=g.auth_url, user_domain_id=g.user_domain_id,
               user_domain_name=g.user_domain_name, trust_id=trust_id)


_NO_CATALOG = []


def _no_catalog_password():
    if not _NO_CATALOG:
        from keystoneauth1.identity.generic import password

        class NoCatalogPassword(password.Password):
            def create_plugin(self, session, version, url, raw_status=None):
                plugin = super().create_plugin(session, version, url, raw_status)
                if plugin is not None and hasattr(plugin, 'include_catalog'):
                    plugin.include_catalog = False
                return plugin
        _NO_CATALOG.append(NoCatalogPassword)
    return _NO_CATALOG[0]
