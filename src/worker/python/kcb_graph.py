"""The python object-graph snapshot: every object the interpreter can reach, with its type, its own size and its
named references, written in a compact binary form that src/snapshot/python-reader.ts turns into the same graph
a V8 heap snapshot becomes (one dominator / retained-size analysis serves both runtimes).

Nodes: a synthetic root (0), then every gc-tracked object and every object reachable from one by
gc.get_referents (untracked leaves: str, bytes, int, atomic dicts and tuples). Self size = sys.getsizeof, plus what
getsizeof leaves out and is known: an instance's attribute values array (3.11 keeps it beside the object until its
__dict__ is asked for). Edges carry names so an owner path reads like session.auth.auth_ref._data['token']:
attributes (__dict__ entries, __slots__) and dict values by key are 'property' edges, list/tuple/set items
'element' edges, anything else gc.get_referents reports an 'internal' edge.

Roots: the root points at every object no other object refers to (held by C code or a frame: modules through
sys.modules, the worker's holder of the entries) and at the interpreter's cached singletons (None, small ints,
one-character strings, the empty tuple), which C code shares however many objects point at them.

File layout (little-endian): b'KCBPYGR1', u32 node count, u32 edge count, u32 string-table bytes, u32 0; then per
node u32 name (string index), u32 type, u32 self size, u32 edge count; then per edge u32 type, u32 name or index,
u32 target; then the string table as a UTF-8 JSON array.
"""
import ast
import gc
import json
import re
import struct
import sys
from array import array

NODE_TYPES = ('synthetic', 'object', 'hidden')
EDGE_TYPES = ('property', 'element', 'internal', 'weak', 'shortcut')
SYNTHETIC, OBJECT, HIDDEN = 0, 1, 2
PROPERTY, ELEMENT, INTERNAL = 0, 1, 2
MANAGED_DICT = 1 << 4  # Py_TPFLAGS_MANAGED_DICT (3.11, 3.12)
# dict keys shown in a path: short names only; a key that could be a token or trust id is never written out
_SHOWN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.:/+-]{0,39}")
_SECRET_SHAPED = re.compile(r'[0-9a-fA-F]{16,}|[A-Za-z0-9_\-=]{40,}')


def _key_name(k):
    if isinstance(k, str) and _SHOWN_KEY.fullmatch(k) and not _SECRET_SHAPED.search(k):
        return '[%r]' % k
    if isinstance(k, (int, bool)) or k is None:
        return '[%r]' % (k,)
    return '[…]'


def _values_array_bytes(d):
    """An un-materialised instance dict's values array (3.11 new_values): prefix rounded to 8 plus one slot per
    usable key. The dict just materialised over it is split: getsizeof = dict object (64) + 8 per usable slot."""
    usable = max(0, (sys.getsizeof(d) - sys.getsizeof({})) // 8)
    return usable * 8 + ((usable + 2 + 7) // 8) * 8


def _slot_names(tp):
    out = []
    for cls in tp.__mro__:
        for name, desc in vars(cls).items():
            if type(desc).__name__ == 'member_descriptor' and name not in ('__weakref__', '__dict__'):
                out.append((name, desc))
    return out


def _cached_singletons():
    out = [None, True, False, Ellipsis, NotImplemented, (), '', b'', frozenset()]
    out += list(range(-5, 257))
    out += [chr(i) for i in range(256)]
    out += [bytes([i]) for i in range(256)]
    return out


def write_graph(path, skip=()):
    """Write the graph of everything alive to `path`. `skip`: objects of the caller's own to leave out."""
    gc.collect()
    found = gc.get_objects()
    skip_ids = {id(found), id(skip)} | {id(o) for o in skip}
    index = {}          # id(object) -> ordinal
    nodes = [None]      # ordinal -> object (keeps ids valid); 0 is the root
    skip_ids |= {id(index), id(nodes)}

    indegree = array('I', [0])

    def ordinal(o):
        i = index.get(id(o))
        if i is None:
            i = index[id(o)] = len(nodes)
            nodes.append(o)
            indegree.append(0)
        return i

    for o in found:
        if id(o) not in skip_ids:
            ordinal(o)
    del found

    strings = ['(root)']
    string_ids = {'(root)': 0}

    def sid(s):
        i = string_ids.get(s)
        if i is None:
            i = string_ids[s] = len(strings)
            strings.append(s)
        return i

    n_name = array('I', [0])
    n_type = array('I', [SYNTHETIC])
    n_size = array('I', [0])
    n_edges = array('I', [0])
    e_type = array('I')
    e_name = array('I')
    e_to = array('I')
    hidden = set()  # ordinals of instance dicts: backing stores of their object
    slot_cache = {}
    skip_ids |= {id(slot_cache), id(strings), id(string_ids), id(n_name), id(n_type), id(n_size), id(n_edges), id(e_type),
                 id(e_name), id(e_to), id(indegree), id(hidden)}

    unnamed = sid('')
    i = 1
    while i < len(nodes):
        o = nodes[i]
        tp = type(o)
        try:
            size = sys.getsizeof(o)
        except Exception:  # noqa: BLE001 - a type whose __sizeof__ fails still has its header
            size = tp.__basicsize__
        try:
            refs = gc.get_referents(o)
        except Exception:  # noqa: BLE001
            refs = []
        names = {}   # id(referent) -> (edge type, name or index)
        attrs = None
        if isinstance(o, dict):
            for k, v in o.items():
                names.setdefault(id(v), (PROPERTY, sid(_key_name(k))))
        elif isinstance(o, (list, tuple)):
            for j, v in enumerate(o):
                names.setdefault(id(v), (ELEMENT, j))
        elif isinstance(o, (set, frozenset)):
            for j, v in enumerate(o):
                names.setdefault(id(v), (ELEMENT, j))
        elif not isinstance(o, type):
            try:
                attrs = object.__getattribute__(o, '__dict__')
            except Exception:  # noqa: BLE001 - no __dict__, or a C type that refuses it
                attrs = None
            if type(attrs) is not dict:
                attrs = None
            if attrs is not None:
                if any(r is attrs for r in refs):
                    j = ordinal(attrs)  # a real dict object: the instance's backing store
                    hidden.add(j)
                    names[id(attrs)] = (INTERNAL, sid('__dict__'))
                else:
                    # values kept beside the object: name them by attribute and count their array here
                    if tp.__flags__ & MANAGED_DICT:
                        size += _values_array_bytes(attrs)
                    for k, v in attrs.items():
                        names.setdefault(id(v), (PROPERTY, sid(k if isinstance(k, str) else _key_name(k))))
                    skip_ids.add(id(attrs))
            slots = slot_cache.get(tp)
            if slots is None:
                try:
                    slots = slot_cache[tp] = _slot_names(tp)
                except Exception:  # noqa: BLE001
                    slots = slot_cache[tp] = []
            if slots:
                for name, desc in slots:
                    try:
                        v = desc.__get__(o, tp)
                    except Exception:  # noqa: BLE001 - an unset slot
                        continue
                    names.setdefault(id(v), (PROPERTY, sid(name)))
        n_name.append(sid(tp.__name__))
        n_type.append(OBJECT)  # instance dicts become HIDDEN below, once their instance was seen
        n_size.append(min(size, 0xFFFFFFFF))
        count = 0
        for r in refs:
            if id(r) in skip_ids:
                continue
            t, nm = names.get(id(r), (INTERNAL, unnamed))
            if t == INTERNAL and r is tp:
                nm = sid('__class__')
            j = ordinal(r)
            indegree[j] += 1
            e_type.append(t)
            e_name.append(nm)
            e_to.append(j)
            count += 1
        n_edges.append(count)
        i += 1

    for j in hidden:
        n_type[j] = HIDDEN
    _attribute_names(hidden, n_edges, e_name, strings, sid)
    roots = [j for j in range(1, len(nodes)) if indegree[j] == 0]
    singles = set()
    for s in _cached_singletons():
        j = index.get(id(s))
        if j is not None and indegree[j] > 0:
            singles.add(j)
    roots += sorted(singles)
    root_name = sid('(gc root)')
    n_edges[0] = len(roots)

    blob = json.dumps(strings, ensure_ascii=False).encode('utf-8')
    with open(path, 'wb') as f:
        f.write(b'KCBPYGR1')
        f.write(struct.pack('<4I', len(nodes), len(e_to) + len(roots), len(blob), 0))
        for col in (n_name, n_type, n_size, n_edges):
            _le(col).tofile(f)
        root_edges = array('I')
        for j in roots:
            root_edges.extend((INTERNAL, root_name, j))
        _le(root_edges).tofile(f)
        inter = array('I', bytes(4 * 3 * len(e_to)))
        inter[0::3] = e_type
        inter[1::3] = e_name
        inter[2::3] = e_to
        _le(inter).tofile(f)
        f.write(blob)
    return len(nodes)


def _attribute_names(hidden, n_edges, e_name, strings, sid):
    """An instance dict's entries are the instance's attributes: `.auth`, not `['auth']`. Which dicts are instance
    dicts is known only once their instance was seen, so their edge names are rewritten at the end."""
    start = [0] * (len(n_edges) + 1)
    for k in range(1, len(n_edges)):  # node 0 (the root) has no edges in e_name
        start[k + 1] = start[k] + n_edges[k]
    for k in hidden:
        for e in range(start[k], start[k + 1]):
            name = strings[e_name[e]]
            if name.startswith("['") and name.endswith("']"):
                e_name[e] = sid(ast.literal_eval(name[1:-1]))


def _le(a):
    if sys.byteorder != 'little':
        a = array(a.typecode, a)
        a.byteswap()
    return a
