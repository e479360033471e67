"""The no-cache baseline, measured on the real thing: Debian's Aodh 15 aodh.notifier.trust.TrustRestAlarmNotifier.

For every notification the real notifier parses the trust id from the action URL's user name
(trust+http://<trust_id>:delete@host/path → action.username), calls keystone_client.get_trusted_client(conf,
trust_id) (a new keystoneauth Session + keystoneclient Client), get_auth_token(client) (discovery GET + one POST
/v3/auth/tokens), and posts the alarm to the URL without the trust part with X-Auth-Token set. Nothing is cached.

This script builds the notifier with a conf carrying [service_credentials] (as aodh.service.prepare_service
registers it), starts its own HTTP receiver on 127.0.0.1 (an ephemeral port), calls notify() K times with the
trust ids in turn, and counts the POSTs the receiver got and how many carried an X-Auth-Token. The parent counts
the tokens Keystone issued (tokens per notification = issued / K).

Protocol: stdin one JSON line {auth_url, username, password, user_domain_name, trust_ids: [...], notifications: K,
project_name?, project_domain_name?}; stdout one JSON line
{"type":"result","notifications","received","with_token","rss_before","rss_after","wall_ms","per_notification_ms",
"auth_requests", "http_requests": {"METHOD /path": count}} or {"type":"error","message"} (scrubbed) with exit 1. stdout carries that line only.
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib import parse

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
from kcb_stdio import emit, run_entry  # noqa: E402  (first: it moves library output off the protocol channel)

import kcb_context  # noqa: E402
from kcb_context import scrub, rss_bytes, settle  # noqa: E402



class Receiver:
    """The alarm action's endpoint: counts POSTs and the ones that carry an X-Auth-Token."""

    def __init__(self):
        counts = self.counts = {'received': 0, 'with_token': 0}
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def do_POST(self):
                length = int(self.headers.get('Content-Length') or 0)
                self.rfile.read(length)
                with lock:
                    counts['received'] += 1
                    if self.headers.get('X-Auth-Token'):
                        counts['with_token'] += 1
                self.send_response(200)
                self.send_header('Content-Length', '0')
                self.end_headers()

            def log_message(self, *args):  # quiet: a request line could carry anything
                pass

        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def main():
    job = json.loads(sys.stdin.readline())
    kcb_context.register_secret(job['password'])
    trust_ids = list(job['trust_ids'])
    k = int(job['notifications'])
    if not trust_ids or k < 0:
        raise ValueError('need trust ids and notifications >= 0')

    import kcb_aodh
    from aodh.notifier import trust as aodh_trust
    conf = kcb_aodh.make_conf(job['auth_url'], job['username'], job['password'], job['user_domain_name'],
                              job.get('project_name'), job.get('project_domain_name'), job.get('timeout_s'))
    notifier = aodh_trust.TrustRestAlarmNotifier(conf)
    receiver = Receiver()
    try:
        settle()
        rss_before = rss_bytes()
        t0 = time.perf_counter()
        for i in range(k):
            tid = trust_ids[i % len(trust_ids)]
            # how aodh's notifier service hands the action to the plugin: urlsplit of the alarm's action URL
            action = parse.urlsplit('trust+http://%s:delete@127.0.0.1:%d/alarm' % (tid, receiver.port))
            notifier.notify(action, 'alarm-%d' % i, 'kcb-alarm-%d' % i, 'low', 'ok', 'alarm',
                            'kcb baseline notification', {'type': 'threshold'})
        wall_ms = (time.perf_counter() - t0) * 1000
        settle()
        rss_after = rss_bytes()
    finally:
        receiver.close()
    emit({'type': 'result', 'notifications': k, 'received': receiver.counts['received'],
          'with_token': receiver.counts['with_token'], 'rss_before': rss_before, 'rss_after': rss_after,
          'wall_ms': wall_ms, 'per_notification_ms': wall_ms / k if k else None,
          'auth_requests': kcb_context.AUTH_POSTS[0],
          'http_requests': {'%s %s' % mk: c for mk, c in sorted(kcb_context.HTTP_REQUESTS.items())}})


if __name__ == '__main__':
    run_entry(main, scrub, kcb_context.KeystoneError)
