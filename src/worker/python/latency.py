"""Latency of python designs: a cached hit (token(entry)) and a first miss (token(create(trust_id))).

The node designs are timed by tinybench in the harness; a python design's calls can only be timed in python, so
this worker does the same two operations with time.perf_counter_ns and sends the timings back. The designs of a
run are timed one after another in this one process (one start-up and one import of the OpenStack libraries for
all of them), one JSON line in and one out per design:
  <- {"module","ctx":{...as the sample worker's start...},"trust_ids":[...],"miss_trust_ids":[...],"time_ms","max_samples"}
  -> {"type":"result","hit_ms":[...],"miss_ms":[...]}   or   {"type":"error","message"} (scrubbed)
  <- {"type":"done"} (or end of input): exit 0
Each operation runs for time_ms (after a warm-up of a few calls) or max_samples calls, whichever ends first.
Hits: entries are created for every trust first, and calls cycle through them as a notifier's stream would.
Misses: each of miss_trust_ids once, trusts nothing has seen: a shared design's create() would find a trust
it has seen in its store, a hit, not a miss. A design that fails is that design's error line; the next one is
timed all the same.
"""
import gc
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from kcb_stdio import emit, run_entry  # noqa: E402  (first: it moves library output off the protocol channel)

import kcb_context  # noqa: E402
from kcb_context import scrub  # noqa: E402
from worker import Problem, load_design  # noqa: E402

WARMUP_CALLS = 5


def timed(fn, trust_ids, time_ms, max_samples, cycle=True):
    """Times fn(trust_id) for time_ms or max_samples calls; without cycle, each trust id once at most."""
    ids = iter(trust_ids)
    if cycle:
        for i in range(WARMUP_CALLS):
            fn(trust_ids[i % len(trust_ids)])
    out = []
    end = time.perf_counter_ns() + int(time_ms * 1e6)
    i = 0
    while len(out) < max_samples and time.perf_counter_ns() < end:
        if cycle:
            tid = trust_ids[i % len(trust_ids)]
            i += 1
        else:
            tid = next(ids, None)
            if tid is None:
                break
        t0 = time.perf_counter_ns()
        fn(tid)
        out.append((time.perf_counter_ns() - t0) / 1e6)
    return out


def time_design(job):
    kcb_context.register_secret(job['ctx'].get('password'))
    mod, _ = load_design(job['module'])
    ctx = kcb_context.Context(job['ctx'])
    trust_ids, miss_ids = list(job['trust_ids']), list(job['miss_trust_ids'])
    if not trust_ids or not miss_ids:
        raise ValueError('no trust ids')
    time_ms, max_samples = float(job['time_ms']), int(job['max_samples'])
    cache = {tid: mod.create(tid, ctx) for tid in trust_ids}
    hit_ms = timed(lambda tid: mod.token(cache[tid], ctx), trust_ids, time_ms, max_samples)
    # the first miss warms the path up (imports, the connection) and is not counted
    mod.token(mod.create(miss_ids[0], ctx), ctx)
    miss_ms = timed(lambda tid: mod.token(mod.create(tid, ctx), ctx), miss_ids[1:], time_ms, max_samples, cycle=False)
    return {'type': 'result', 'hit_ms': hit_ms, 'miss_ms': miss_ms}


def main():
    for line in sys.stdin:
        job = json.loads(line)
        if job.get('type') == 'done':
            break
        try:
            emit(time_design(job))
        except Exception as e:  # noqa: BLE001 - one design's failure is its own line, not the others'
            msg = str(e) if isinstance(e, (Problem, kcb_context.KeystoneError)) else '%s: %s' % (type(e).__name__, e)
            emit({'type': 'error', 'message': scrub(msg)})
        # the next design is timed without this one's entries around
        gc.collect()


if __name__ == '__main__':
    run_entry(main, scrub, kcb_context.KeystoneError)
