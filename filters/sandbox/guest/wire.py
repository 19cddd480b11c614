"""Guest (runs inside the child): the candidate<->judge channel. `_guest_channel` frames
messages (4-byte length, at most 64 MiB) on a pipe pair; `_guest_enc`/`_guest_dec` are a
small tagged encoding of exact builtin types only (int, float, complex, str, bytes, bool,
None, list, tuple, dict, set, frozenset), decoded without eval, so subclasses and objects
with a lying `__eq__` cannot cross.

Does NOT cover: what is sent (`roles.py`) or the host's report pipe (plain text lines).
"""


def _guest_channel(rfd, wfd, limit=64 << 20):
    """send(obj) / recv() -> obj, or None at EOF: a 4-byte length, then `_guest_enc` bytes."""
    import os

    def send(obj):
        parts = []
        _guest_enc(obj, parts)
        data = b"".join(parts)
        data = len(data).to_bytes(4, "big") + data
        while data:
            data = data[os.write(wfd, data) :]

    def read(n):
        buf = bytearray()
        while len(buf) < n:
            chunk = os.read(rfd, min(n - len(buf), 1 << 20))
            if not chunk:
                return None
            buf += chunk
        return bytes(buf)

    def recv():
        head = read(4)
        n = None if head is None else int.from_bytes(head, "big")
        if n is not None and n > limit:
            raise ValueError("message of %d bytes" % n)
        body = None if n is None else read(n)
        if body is None:
            return None
        value, end = _guest_dec(body, 0)
        if end != len(body):
            raise ValueError("malformed message")
        return value

    return send, recv


_GUEST_TAGS = {list: b"l", tuple: b"t", set: b"S", frozenset: b"z", dict: b"d"}


def _guest_enc(x, out, depth=0):
    """Append the bytes of x to `out`; x must be made only of exact builtin types."""
    t = type(x)
    if x is None or t is bool:
        out.append(b"N" if x is None else b"T" if x else b"F")
    elif t is int:
        out.append(b"i%d;" % x)
    elif t is float or t is complex:
        out.append(b"f%s;" % x.hex().encode() if t is float else b"c%s;%s;" % (x.real.hex().encode(), x.imag.hex().encode()))
    elif t is str or t is bytes:
        raw = x.encode("utf-8", "surrogatepass") if t is str else x
        out += (b"s%d:" % len(raw) if t is str else b"b%d:" % len(raw), raw)
    elif t in _GUEST_TAGS and depth < 200:
        out.append(b"%s%d:" % (_GUEST_TAGS[t], len(x)))
        for item in x.items() if t is dict else x:
            for part in item if t is dict else (item,):
                _guest_enc(part, out, depth + 1)
    else:
        raise TypeError("a value nested too deep" if t in _GUEST_TAGS else "%s.%s" % (t.__module__, t.__qualname__))


def _guest_dec(buf, pos, depth=0):
    """(value, next position) from `_guest_enc` bytes that may be hostile: only exact builtin
    types come out; anything malformed raises ValueError."""
    tag, pos = buf[pos : pos + 1], pos + 1
    if tag in (b"N", b"T", b"F"):
        return {b"N": None, b"T": True, b"F": False}[tag], pos
    if tag in (b"i", b"f", b"c"):
        end = buf.index(b";", pos)
        if tag == b"i":
            return int(buf[pos:end]), end + 1
        real = float.fromhex(buf[pos:end].decode("ascii"))
        if tag == b"f":
            return real, end + 1
        end2 = buf.index(b";", end + 1)
        return complex(real, float.fromhex(buf[end + 1 : end2].decode("ascii"))), end2 + 1
    if tag not in (b"s", b"b", b"l", b"t", b"S", b"z", b"d") or depth > 200:
        raise ValueError("malformed value")
    end = buf.index(b":", pos)
    n, pos = int(buf[pos:end]), end + 1
    if n < 0:
        raise ValueError("malformed value")
    if tag in (b"s", b"b"):
        raw = buf[pos : pos + n]
        if len(raw) != n:
            raise ValueError("truncated value")
        return (raw.decode("utf-8", "surrogatepass") if tag == b"s" else raw), pos + n
    items = []
    for _ in range(n * 2 if tag == b"d" else n):
        item, pos = _guest_dec(buf, pos, depth + 1)
        items.append(item)
    if tag == b"d":
        return dict(zip(items[::2], items[1::2], strict=True)), pos
    return {b"l": list, b"t": tuple, b"S": set, b"z": frozenset}[tag](items), pos
