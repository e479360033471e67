"""What a python worker reads beside RSS.

The workers whose RSS is measured read what the allocators hold (cheap, and they allocate nothing that stays):
- pymalloc_arenas: bytes of pymalloc's arenas (sys._debugmallocstats' "Total"), pools' free space included;
- malloc_held: glibc's mallinfo2(): bytes malloc obtained from the OS (its heap + mmapped blocks).
The cross-check worker alone traces (tracemalloc roughly doubles a process's memory, and hooking the allocators
hides pymalloc's statistics):
- tracemalloc: bytes requested through PyMem/PyObject/PyMem_Raw and still live; tracemalloc_own: its bookkeeping;
and at the end the allocation sites that grew the most.
"""
import ctypes
import os
import re
import sys
import tempfile
import tracemalloc


class _MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ('arena', 'ordblks', 'smblks', 'hblks', 'hblkhd', 'usmblks', 'fsmblks', 'uordblks', 'fordblks', 'keepcost')]


try:
    _libc = ctypes.CDLL(None)
    _libc.mallinfo2.restype = _MallInfo2
except (OSError, AttributeError):  # not glibc, or glibc < 2.33
    _libc = None

_TOTAL = re.compile(rb'^Total\s*=\s*([\d,]+)', re.M)


def pymalloc_arenas():
    """pymalloc's arena bytes; _debugmallocstats writes to the C stderr, so fd 2 is pointed at a file meanwhile."""
    with tempfile.TemporaryFile() as f:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            os.dup2(f.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        f.seek(0)
        m = _TOTAL.search(f.read())
    return int(m.group(1).replace(b',', b'')) if m else None


def malloc_held():
    if _libc is None:
        return None
    m = _libc.mallinfo2()
    return m.arena + m.hblkhd


def readings():
    if tracemalloc.is_tracing():
        return {'tracemalloc': tracemalloc.get_traced_memory()[0], 'tracemalloc_own': tracemalloc.get_tracemalloc_memory()}
    return {'pymalloc_arenas': pymalloc_arenas(), 'malloc_held': malloc_held()}


def top_sites(before, after, n_entries, top=5):
    """The allocation sites whose traced bytes grew the most between two tracemalloc snapshots, per entry.

    Sites in tracemalloc's own code or this file (the snapshots themselves) are left out after grouping by line,
    which with one frame per trace is the same as filtering the traces first, without copying both snapshots."""
    if not n_entries:
        return []
    own = {tracemalloc.__file__, __file__}
    out = []
    for stat in after.compare_to(before, 'lineno'):
        if len(out) == top or stat.size_diff <= 0:
            break
        frame = stat.traceback[0]
        if frame.filename in own:
            continue
        out.append({'site': '%s:%d' % (_short(frame.filename), frame.lineno), 'bytes_per_entry': stat.size_diff / n_entries,
                    'blocks_per_entry': stat.count_diff / n_entries})
    return out


def _short(filename):
    """A site without the machine's paths: from the package directory on (keystoneauth1/session.py)."""
    for marker in ('/dist-packages/', '/site-packages/', '/python3.%d/' % sys.version_info[1]):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return os.path.basename(filename)
