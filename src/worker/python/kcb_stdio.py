"""The protocol channel of a python child: imported first by every entry script (worker.py, notifier_baseline.py, latency.py).

Protocol lines go to the real stdout; anything a library prints lands on stderr instead. keystoneauth and
keystoneclient log token bodies at DEBUG: library logging stays at WARNING, on stderr.
"""
import json
import logging
import sys
import warnings

_PROTO = sys.stdout
sys.stdout = sys.stderr
logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
warnings.simplefilter('ignore', DeprecationWarning)


def emit(obj):
    """One protocol line on the real stdout."""
    _PROTO.write(json.dumps(obj) + '\n')
    _PROTO.flush()


def flush():
    _PROTO.flush()


def run_entry(main, scrub, expected=()):
    """Runs a one-shot entry script's main() and exits without teardown: 0, or 1 after one error line whose
    message went through scrub (no password or token). Exceptions of the `expected` types carry their own message."""
    import os
    try:
        main()
        code = 0
    except Exception as e:  # noqa: BLE001
        msg = str(e) if isinstance(e, expected) else '%s: %s' % (type(e).__name__, e)
        emit({'type': 'error', 'message': scrub(msg)})
        code = 1
    flush()
    os._exit(code)
