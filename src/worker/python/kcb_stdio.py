"""The protocol channel of a python child: imported first by every entry script (worker.py, notifier_baseline.py).

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
