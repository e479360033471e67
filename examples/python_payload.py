"""Known-answer design for the python runtime: every entry keeps a 64 KiB bytes payload on top of what
examples/python_token_only.py keeps, so (this design's RSS slope) - (python_token_only's) must be 65,536 B/entry
(plus ~33 B of bytes header and malloc rounding). The payload is FILLED (b'\xa5' * 65536): bytes(65536) is
calloc'ed and glibc hands out fresh heap pages without touching them, so a zero payload never enters RSS
(measured: ~28 KB/entry instead of 64 KiB). If the harness measures anything else, the harness is wrong."""
ID = 'example-python-payload'
TITLE = 'known answer: a token id plus a 64 KiB bytes payload per entry'
TOPOLOGY = 'per-worker'
PLANNING_BYTES_PER_ENTRY = 70000

PAYLOAD = 65536


def create(trust_id, ctx):
    return (ctx.authenticate(trust_id, catalog=False)['token'], b'\xa5' * PAYLOAD)


def token(entry, ctx):
    return entry[0]
