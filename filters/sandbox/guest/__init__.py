"""The code that runs inside each sandboxed child (`python -I -S -B -c`), and only there.

The host never imports these modules to run them: `guest_code()` reads `confine.py`,
`wire.py` and `roles.py` as text, joins them into one module, appends `_guest_main()` and
compiles it; `launch` writes that code object (marshal) and the run's config to the child's
stdin. So the parts are self-contained: stdlib imports inside functions, no host names, no
`from __future__`, and names from another part are imported only under
`if __name__ != "__main__"` (for linters and host-side imports; in the child all parts share
one namespace).

Does NOT cover: launching the child, or anything the host decides (`launch`, `host`).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

PARTS = ("confine.py", "wire.py", "roles.py")  # joined in this order into one module


@cache
def guest_code() -> bytes:
    import marshal

    here = Path(__file__).parent
    src = "\n".join((here / name).read_text() for name in PARTS) + "\n_guest_main()\n"
    return marshal.dumps(compile(src, "<sandbox-guest>", "exec"))
