"""Faking success against the candidate/judge pair: exiting early (sys.exit, os._exit,
SystemExit or KeyboardInterrupt in a call, self-kill, atexit), patching the harness
(check, AssertionError, builtins, math, unittest, sys.exit/print, forged reports, frames
and gc), and `__eq__` tricks (lying objects, int/str subclasses, nested, the function
itself). None may pass; a patch with a right answer still passes (the control).

Does NOT cover: the OS boundary (`test_sandbox_os.py`) or resource limits
(`test_sandbox_limits.py`).
"""

from __future__ import annotations

import pytest

from filters.sandbox import run_tests
from tests import sandbox_helpers as h
from tests.sandbox_helpers import CHECK, LIM, not_passed

no_leftovers = h.no_leftovers  # the shared fixture, registered here


EXITS = {
    "sys_exit_module": "import sys\nsys.exit(0)\ndef f(x):\n    return 0\n",
    "os_exit_module": "import os\nos._exit(0)\n",
    "system_exit_in_call": "def f(x):\n    raise SystemExit(0)\n",
    "os_exit_in_call": "import os\ndef f(x):\n    os._exit(0)\n",
    "keyboard_interrupt": "def f(x):\n    raise KeyboardInterrupt\n",
    "self_kill": "import os, signal\ndef f(x):\n    os.kill(os.getpid(), signal.SIGKILL)\n",
    "atexit_os_exit": "import atexit, os\natexit.register(os._exit, 0)\ndef f(x):\n    return 0\n",
}


@pytest.mark.parametrize("code", EXITS.values(), ids=EXITS.keys())
def test_exiting_early_is_not_success(code):
    r = run_tests(code, CHECK, "f", LIM)
    assert not r.passed and r.status in ("failed", "error"), r


PATCHES = {
    "redefine_check": ("def check(candidate):\n    pass\ndef f(x):\n    return 0\n", CHECK),
    "patch_assertion_error": ("import builtins\nbuiltins.AssertionError = KeyError\ndef f(x):\n    return 0\n", CHECK),
    "patch_builtin_abs": (
        "import builtins\nbuiltins.abs = lambda x: 0\ndef f(x):\n    return 0\n",
        "def check(candidate):\n    assert abs(candidate(1) - 2) < 1e-9\n",
    ),
    "shadow_abs_global": (
        "def abs(x):\n    return 0\ndef f(x):\n    return 0\n",
        "def check(candidate):\n    assert abs(candidate(1) - 2) < 1e-9\n",
    ),
    "patch_math_isclose": (
        "import math\nmath.isclose = lambda *a, **k: True\ndef f(x):\n    math.isclose = lambda *a, **k: True\n    return 0\n",
        "import math\ndef check(candidate):\n    assert math.isclose(candidate(1), 2)\n",
    ),
    "patch_unittest": (
        "import unittest\nunittest.TestCase.assertEqual = lambda *a, **k: None\ndef f(x):\n    return 0\n",
        "import unittest\ndef check(candidate):\n    unittest.TestCase().assertEqual(candidate(1), 2)\n",
    ),
    "patch_sys_exit_and_print": (
        "import builtins, sys\nsys.exit = print = builtins.print = lambda *a: None\ndef f(x):\n    return 0\n",
        CHECK,
    ),
    "forge_report": (
        "import os\nprint('OK 0')\nfor fd in range(3, 64):\n    try:\n        os.write(fd, b'OK 0\\nR\\n')\n    except OSError:\n        pass\ndef f(x):\n    return 0\n",
        CHECK,
    ),
    "frames_and_gc": (
        """
import gc, sys
def f(x):
    seen, fr = [], sys._getframe()
    while fr is not None:
        seen.append(dict(fr.f_locals))
        fr = fr.f_back
    for o in gc.get_objects():
        if callable(o) and getattr(o, "__name__", "") in ("send", "report", "write"):
            for args in (("OK", "0"), (["OK", "0"],), (["M", ["check"], {}, {}],), ("F", "x")):
                try:
                    o(*args)
                except Exception:
                    pass
    return 0
""",
        CHECK,
    ),
}


@pytest.mark.parametrize("code,test", PATCHES.values(), ids=PATCHES.keys())
def test_patching_the_harness_changes_nothing(code, test):
    r = run_tests(code, test, "f", LIM)
    assert not r.passed and r.status in ("failed", "error"), r
    if "os.write" not in code and "gc." not in code:  # control: the same patch with a right answer passes
        assert run_tests(code.replace("return 0", "return 2"), test, "f", LIM).passed


EQ = {
    "always_equal": "class A:\n    def __eq__(self, o):\n        return True\n    __hash__ = object.__hash__\ndef f(x):\n    return A()\n",
    "int_subclass": "class I(int):\n    def __eq__(self, o):\n        return True\ndef f(x):\n    return I(0)\n",
    "str_subclass": "class S(str):\n    def __eq__(self, o):\n        return True\ndef f(x):\n    return S('')\n",
    "nested": "class A:\n    def __eq__(self, o):\n        return True\ndef f(x):\n    return [1, {'k': (A(),)}]\n",
    "returns_itself": "def f(x):\n    return f\n",
}


@pytest.mark.parametrize("code", EQ.values(), ids=EQ.keys())
def test_eq_tricks_are_refused(code):
    test = "def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(2) == [1, {'k': (3,)}]\n"
    not_passed(run_tests(code, test, "f", LIM), "failed", "unsafe: returned")
