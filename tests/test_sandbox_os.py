"""Hostile programs against filters/sandbox at the OS boundary: network, writes outside the
scratch dir, secrets (env, files, /proc), subprocesses, fork loops, signals to host
processes, the scratch root, and the same sandbox run by a host that is not root. Each must
not pass AND must leave the host untouched, checked from the host side: a listening socket
that must get no connection, files that must not appear (or disappear), secrets that must
not show up in any output, processes that must not be left over, a victim process that must
survive. Most attacks are framed so that the tests would pass only if the attack worked.
Cases run twice: `full` (every layer this machine gives) and `hook_only` (no namespace, no
uid drop: the audit hook alone).

Does NOT cover: resource limits and positive controls (`test_sandbox_limits.py`), faking
success through the harness (`test_sandbox_harness.py`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from filters import sandbox as sb
from filters.sandbox import run_tests
from tests import sandbox_helpers as h
from tests.sandbox_helpers import CHECK, LIM, MARK, not_passed

mode, no_leftovers = h.mode, h.no_leftovers  # the shared fixtures, registered here


# -- network, files, secrets, processes ---------------------------------------------------


def test_network_gets_nowhere(mode):
    srv = socket.create_server(("127.0.0.1", 0))
    srv.settimeout(0.1)
    port, got, stop = srv.getsockname()[1], [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            got.append(conn.recv(100))
            conn.close()

    t = threading.Thread(target=accept)
    t.start()
    socket.create_connection(("127.0.0.1", port)).sendall(b"host")  # the listener works
    for _ in range(50):
        if got:
            break
        time.sleep(0.02)
    assert got == [b"host"]
    got.clear()
    code = f"""
import socket, urllib.request
def f(x):
    try:
        urllib.request.urlopen("http://127.0.0.1:{port}/", timeout=2)
    except Exception:
        pass
    s = socket.create_connection(("127.0.0.1", {port}), timeout=2)
    s.sendall(b"sandbox")
    return 2
"""
    try:
        r = run_tests(code, CHECK, "f", LIM)
        time.sleep(0.2)
    finally:
        stop.set()
        t.join()
        srv.close()
    not_passed(r, "failed", "unsafe: ")
    assert got == []


def test_writes_outside_scratch_do_not_happen(mode, tmp_path):
    targets = [tmp_path / "pwned.txt", Path(tempfile.gettempdir()) / f"datagen-pwned-{os.getpid()}"]
    code = f"""
import os, pathlib, shutil
def f(x):
    done = 0
    for t in {[str(t) for t in targets]!r}:
        for attempt in (lambda: open(t, "w").write("x"), lambda: pathlib.Path(t).write_text("x"),
                        lambda: os.close(os.open(t, os.O_CREAT | os.O_WRONLY)),
                        lambda: (os.symlink(t, "link"), open("link", "w").write("x")),
                        lambda: (open("mine", "w").write("x"), os.rename("mine", t)),
                        lambda: shutil.copy("/dev/null", t)):
            try:
                attempt()
                done += 1
            except Exception:
                pass
    return 2 if done else 0
"""
    r = run_tests(code, CHECK, "f", LIM)
    not_passed(r, "failed", "unsafe: ")
    assert [t for t in targets if t.exists() or t.is_symlink()] == []


def test_secrets_stay_secret(mode, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    files = [tmp_path / "secret.txt", Path(tempfile.gettempdir()) / f"datagen-secret-{os.getpid()}"]
    for i, f in enumerate(files):
        f.write_text(f"root-only-secret-{i}")
        f.chmod(0o600)
    code = f"""
import glob, os
def f(x):
    found = [os.environ.get("OPENAI_API_KEY", "")]
    for path in {[str(f) for f in files]!r} + ["/proc/%d/environ" % os.getppid(), "/proc/1/environ"] + glob.glob("/proc/*/environ"):
        try:
            found.append(open(path, errors="replace").read())
        except Exception as e:
            found.append(type(e).__name__)
    print(found)
    return 2 if any("secret" in s for s in found) else 0
"""
    try:
        r = run_tests(code, CHECK, "f", LIM)
    finally:
        for f in files:
            f.unlink()
    not_passed(r, "failed", "unsafe: ")
    for s in ("sk-test-secret", "root-only-secret"):
        assert s not in r.stdout + r.stderr + r.test_output + str(r.detail)


def test_no_subprocesses(mode):
    flag = Path(tempfile.gettempdir()) / f"datagen-spawned-{os.getpid()}"
    shell = ["/bin/sh", "-c", f"touch {flag}; sleep 30 # {MARK}"]
    code = f"""
import importlib.util, os
def f(x):
    n = 0
    for attempt in (lambda: __import__("subprocess").Popen({shell!r}),
                    lambda: os.system({" ".join(shell[:2]) + " '" + shell[2] + "'"!r}),
                    lambda: os.posix_spawn("/bin/sh", {shell!r}, {{}}),
                    lambda: importlib.util.module_from_spec(importlib.util.find_spec("_posixsubprocess")),
                    lambda: __import__("pty").fork(),
                    lambda: os.execv("/bin/sh", {shell!r})):
        try:
            attempt()
            n += 1
        except Exception:
            pass
    return 2 if n else 0
"""
    r = run_tests(code, CHECK, "f", LIM)
    time.sleep(0.3)
    not_passed(r, "failed", "unsafe: ")
    assert not flag.exists()


def test_fork_loop_is_bounded_and_cleaned_up(mode):
    code = """
import os, time
def f(x):
    n = 0
    for _ in range(100):
        try:
            if os.fork() == 0:
                time.sleep(30)
                os._exit(0)
            n += 1
        except OSError:
            pass
    return 2 if n else 0
"""
    r = run_tests(code, CHECK, "f", LIM)
    not_passed(r, "failed", "unsafe: os.fork")
    t0 = time.monotonic()  # the machine is fine: the next run is quick and passes
    assert run_tests("def f(x):\n    return x + 1\n", CHECK, "f", LIM).passed
    assert time.monotonic() - t0 < 3


def test_signals_cannot_reach_host_processes(mode):
    """A victim process must survive, and the parent (this process, which records SIGURG, a
    signal harmless to it) must get nothing."""
    import signal

    victim, got = subprocess.Popen(["sleep", "60"], start_new_session=True), []
    old = signal.signal(signal.SIGURG, lambda *a: got.append(a[0]))
    code = f"""
import os, signal
def f(x):
    for attempt in (lambda: os.kill({victim.pid}, signal.SIGKILL), lambda: os.killpg({victim.pid}, signal.SIGKILL),
                    lambda: os.kill(os.getppid(), signal.SIGURG), lambda: os.killpg(os.getpgid(os.getppid()), signal.SIGURG),
                    lambda: signal.pthread_kill(1, signal.SIGURG)):
        try:
            attempt()
        except Exception:
            pass
    return 2
"""
    try:
        r = run_tests(code, CHECK, "f", LIM)
        time.sleep(0.1)
        assert victim.poll() is None and got == []
        os.kill(os.getpid(), signal.SIGURG)  # control: the recorder works
        time.sleep(0.05)
        assert got == [signal.SIGURG]
    finally:
        signal.signal(signal.SIGURG, old)
        victim.kill()
        victim.wait()
    not_passed(r, "failed", "unsafe: os.kill")


def test_scratch_parent_is_not_touched(mode):
    sentinel = Path(sb.scratch_root()) / f"sentinel-{os.getpid()}-{time.monotonic_ns()}"
    sentinel.write_text("keep me")
    code = """
import os, shutil
def f(x):
    up = os.path.dirname(os.getcwd())
    for attempt in (lambda: [os.remove(os.path.join(up, n)) for n in os.listdir(up)],
                    lambda: shutil.rmtree(up), lambda: os.rmdir(up), lambda: os.chmod(up, 0o777)):
        try:
            attempt()
        except Exception:
            pass
    return 2
"""
    r = run_tests(code, CHECK, "f", LIM)
    not_passed(r, "failed", "unsafe: ")
    assert sentinel.read_text() == "keep me"
    sentinel.unlink()


# -- a host that is not root -------------------------------------------------------------

NON_ROOT = """
import importlib.util, json, os, sys
spec = importlib.util.spec_from_file_location("sandbox", sys.argv[1], submodule_search_locations=[os.path.dirname(sys.argv[1])])
sb = importlib.util.module_from_spec(spec)
sys.modules["sandbox"] = sb
spec.loader.exec_module(sb)
lim, secret, target = sb.Limits(timeout=5), sys.argv[2], sys.argv[3]
check = "def check(c):\\n    assert c(1) == 2\\n"
out = {"layers": {k: v for k, v in sb.layers().items() if k != "prefix"},
       "ok": sb.run_tests("def f(x):\\n    return x + 1\\n", check, "f", lim).status,
       "secret": sb.run_tests(f"def f(x):\\n    print(open({secret!r}).read())\\n    return 2\\n", check, "f", lim).__dict__,
       "write": sb.run_program(f"open({target!r}, 'w').write('x')", lim).status,
       "fork": sb.run_program("import os\\nos.fork()", lim).detail,
       "kill_parent": sb.run_program("import os, signal\\nos.kill(os.getppid(), signal.SIGKILL)", lim).detail}
print(json.dumps(out))
"""


@pytest.mark.skipif(os.geteuid() != 0 or not Path("/usr/bin/setpriv").exists(), reason="needs root and setpriv to switch user")
def test_non_root_host(tmp_path):
    """The same sandbox run by an ordinary user (uid 1000, the system python): no uid drop; the
    user namespace, rlimits and the audit hook must still hold the user's own files safe. The
    package is loaded from its files as `sandbox` (its imports are relative)."""
    python = "/usr/bin/python3"
    if not Path(python).exists() or subprocess.run([python, "-c", "import sys; assert sys.version_info >= (3, 11)"]).returncode:
        pytest.skip("needs a system python >= 3.11 that uid 1000 can run")
    home = Path(tempfile.mkdtemp(prefix="datagen-nonroot-"))
    os.chmod(home, 0o755)
    secret, target = home / "netrc", home / "pwned"
    secret.write_text("user-own-secret")
    os.chown(home, 1000, 1000)
    os.chown(secret, 1000, 1000)
    secret.chmod(0o600)
    try:
        p = subprocess.run(["setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", python, "-c", NON_ROOT,
                            sb.__file__, str(secret), str(target)], capture_output=True, text=True, timeout=120,
                           cwd=home, env={"PATH": "/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(home)})  # fmt: skip
        assert p.returncode == 0, p.stderr
        out = __import__("json").loads(p.stdout.splitlines()[-1])
    finally:
        __import__("shutil").rmtree(home, ignore_errors=True)
    assert out["layers"]["root"] is False and out["layers"]["privdrop"] is False
    assert out["ok"] == "passed"
    assert out["secret"]["status"] == "failed" and "user-own-secret" not in out["secret"]["stdout"]
    assert out["write"] == "failed" and out["fork"] == "unsafe: os.fork" and out["kill_parent"] == "unsafe: os.kill"
    assert not target.exists()
