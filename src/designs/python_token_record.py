"""python-token-record: the minimal per-worker cache entry in python: the trust id, the token id and its expiry
in a __slots__ object (no dict, no body, no catalog). One nocatalog POST per create() through ctx.authenticate
(the process's one keep-alive connection); token() re-authenticates 120 s before expiry (keystoneauth's rule).
The trust id is kept because re-authentication needs it (a real cache has it as the dict key anyway)."""
import json
import time

ID = 'python-token-record'
TITLE = 'trust id, token id and expiry in a __slots__ object (python, nocatalog authentication)'
TOPOLOGY = 'per-worker'
REQUIRES = []
PLANNING_BYTES_PER_ENTRY = 1024

MARGIN_S = 120


class TokenRecord:
    __slots__ = ('trust_id', 'token', 'expires_at')

    def __init__(self, trust_id, token, expires_at):
        self.trust_id = trust_id
        self.token = token
        self.expires_at = expires_at


def _fresh(trust_id, ctx):
    r = ctx.authenticate(trust_id, catalog=False)
    tok = json.loads(r['body'])['token']
    # what this design claims: a trust-scoped token, and no catalog fetched (let alone kept)
    if tok.get('OS-TRUST:trust', {}).get('id') != trust_id:
        raise RuntimeError('python-token-record: token is not scoped to the requested trust')
    if 'catalog' in tok:
        raise RuntimeError('python-token-record: nocatalog authentication returned a catalog')
    return r['token'], r['expires_at']


def create(trust_id, ctx):
    token_id, expires_at = _fresh(trust_id, ctx)
    return TokenRecord(trust_id, token_id, expires_at)


def token(entry, ctx):
    if entry.expires_at - time.time() <= MARGIN_S:
        entry.token, entry.expires_at = _fresh(entry.trust_id, ctx)
    return entry.token
