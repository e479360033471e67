"""Known-answer baseline for examples/python_payload.py: the same entry without the payload (a 1-tuple holding
the token id), so the difference of the two designs' slopes isolates the 64 KiB payload."""
ID = 'example-python-token-only'
TITLE = 'known answer: a token id only (baseline of example-python-payload)'
TOPOLOGY = 'per-worker'
PLANNING_BYTES_PER_ENTRY = 1024


def create(trust_id, ctx):
    return (ctx.authenticate(trust_id, catalog=False)['token'],)


def token(entry, ctx):
    return entry[0]
