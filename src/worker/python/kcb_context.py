"""The context a python design module receives (worker.py builds it from the start message), plus the helpers the
worker and the notifier baseline share: secret scrubbing, protocol output, RSS reading, gc settling.

Importable by design modules as `import kcb_context` (worker.py puts this directory on sys.path), but a design needs
nothing from here beyond the `ctx` object it is handed.
"""
import gc
import http.client
import json
import os
import re
import sys
import time
import urllib.parse
from datetime import datetime

_SECRETS = []
_FERNET = re.compile(r'gAAAAA[A-Za-z0-9_\-=]{20,}')
_HEADER_TOKEN = re.compile(r'(x-(?:auth|subject)-token["\']?\s*[:=]\s*["\']?)[^\s"\',}]+', re.I)
# stand-in / UUID-style token ids are 32+ hex or base64url runs; trust ids are 32 hex (a message names 8 at most)
_LONG_HEX = re.compile(r'\b[0-9a-f]{32,}\b')


def register_secret(value):
    if value and value not in _SECRETS:
        _SECRETS.append(value)


def scrub(text):
    """Never let a password or a token id out: known secrets by value, token ids by shape (as src/util/redact.ts)."""
    text = _HEADER_TOKEN.sub(r'\1[token]', _FERNET.sub('[token]', str(text)))
    for s in _SECRETS:
        text = text.replace(s, '[secret]')
    text = _LONG_HEX.sub(lambda m: m.group(0)[:8] + '…', text)
    return ' '.join(text.split())[:500]


def rss_bytes():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


def settle():
    """gc.collect() until it finds nothing (at most 5 passes): clients are reference cycles."""
    for _ in range(5):
        if gc.collect() == 0:
            break


class KeystoneError(Exception):
    pass


def _parse_expiry(text):
    # Keystone: 2026-11-26T09:14:51.000000Z
    return datetime.fromisoformat(text.replace('Z', '+00:00')).timestamp()


# Counts every POST .../auth/tokens this process sends through http.client (ctx.authenticate, requests/urllib3 in
# keystoneauth and keystoneclient all end up in HTTPConnection.putrequest): the design-independent token count.
AUTH_POSTS = [0]
HTTP_REQUESTS = {}  # (method, path) -> count, every request of the process through http.client
_orig_putrequest = http.client.HTTPConnection.putrequest


def _counting_putrequest(self, method, url, *args, **kwargs):
    path = urllib.parse.urlsplit(url).path.rstrip('/') or '/'
    if method == 'POST' and path.endswith('/auth/tokens'):
        AUTH_POSTS[0] += 1
    HTTP_REQUESTS[(method, path)] = HTTP_REQUESTS.get((method, path), 0) + 1
    return _orig_putrequest(self, method, url, *args, **kwargs)


http.client.HTTPConnection.putrequest = _counting_putrequest


class Context:
    """What create(trust_id, ctx) and token(entry, ctx) get. Attributes:
    auth_url, username, password, user_domain_name, timeout (s), retries, stores (dict), key_prefix,
    project_name / project_domain_name (None unless given), and authenticate(trust_id, catalog=True).
    """

    def __init__(self, spec):
        self.auth_url = spec['auth_url'].rstrip('/')
        self.username = spec['username']
        self.password = spec['password']
        register_secret(self.password)
        self.user_domain_name = spec.get('user_domain_name') or 'Default'
        self.project_name = spec.get('project_name')
        self.project_domain_name = spec.get('project_domain_name')
        self.timeout = float(spec.get('timeout_s', 10))
        self.retries = int(spec.get('retries', 2))
        self.stores = dict(spec.get('stores') or {})
        self.key_prefix = 'kcb:'
        for loc in self.stores.values():
            if isinstance(loc, dict) and loc.get('key_prefix'):
                self.key_prefix = loc['key_prefix']
                break
        self.authentications = 0  # ctx.authenticate calls that returned a token
        u = urllib.parse.urlsplit(self.auth_url)
        if u.scheme != 'http':
            raise ValueError('ctx.authenticate speaks plain http only (auth_url scheme %r)' % u.scheme)
        self._host, self._port = u.hostname, u.port or 80
        self._path = u.path + '/auth/tokens'
        self._conn = None

    def _connection(self):
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
        return self._conn

    def _drop(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def authenticate(self, trust_id, catalog=True):
        """One trust-scoped POST /auth/tokens → {'token', 'expires_at' (epoch s), 'body' (str)}."""
        payload = json.dumps({'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': self.username, 'domain': {'name': self.user_domain_name}, 'password': self.password}}},
            'scope': {'OS-TRUST:trust': {'id': trust_id}}}})
        path = self._path if catalog else self._path + '?nocatalog'
        headers = {'Content-Type': 'application/json', 'Accept': 'application/json'}
        short = (trust_id or '')[:8]
        last = None
        attempt = 0
        free_reconnect = True
        while attempt <= self.retries:
            reused = self._conn is not None
            try:
                conn = self._connection()
                conn.request('POST', path, body=payload, headers=headers)
                resp = conn.getresponse()
                body = resp.read().decode('utf-8')
                if resp.getheader('Connection', '').lower() == 'close':
                    self._drop()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                self._drop()
                if reused and free_reconnect:
                    free_reconnect = False  # a keep-alive socket the server closed meanwhile: not a failure
                    continue
                last = '%s' % type(e).__name__
            except (OSError, http.client.HTTPException) as e:
                self._drop()
                last = '%s: %s' % (type(e).__name__, e)
            else:
                if resp.status == 201:
                    token = resp.getheader('X-Subject-Token')
                    try:
                        expires_at = _parse_expiry(json.loads(body)['token']['expires_at'])
                    except (ValueError, KeyError, TypeError):
                        raise KeystoneError('Keystone sent a token response that is not valid JSON (trust %s…)' % short)
                    if not token:
                        raise KeystoneError('Keystone sent no X-Subject-Token (trust %s…)' % short)
                    self.authentications += 1
                    return {'token': token, 'expires_at': expires_at, 'body': body}
                if resp.status == 401:
                    raise KeystoneError('Keystone answered 401 (trust %s…)' % short)
                if resp.status < 500:
                    raise KeystoneError('Keystone answered %d (trust %s…)' % (resp.status, short))
                last = 'answered %d' % resp.status
            if attempt < self.retries:
                time.sleep(0.1 * 2 ** attempt)
            attempt += 1
        raise KeystoneError('Keystone at %s failed after %d attempts: %s (trust %s…)'
                            % (self.auth_url, self.retries + 1, last, short))
