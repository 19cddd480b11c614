"""Guest (runs inside the child): the entry point `_guest_main` (read the config, stdin to
/dev/null, confine, dispatch to a role), `_guest_confine` (rlimits, the uid drop with the
stdlib reached through a directory fd, then the audit hook) and `_guest_hook`, the PEP 578
audit hook that refuses processes, signals, sockets, ctypes, foreign imports, writes outside
the scratch dir and reads outside the allowed roots, reporting each refusal as `V ...`.

Does NOT cover: what the roles do (`roles.py`), the wire encoding (`wire.py`), or the OS
layers set up by the host (namespaces, scratch dir: `launch`, `host`). See `guest/__init__.py`
for how this file reaches the child.
"""

if __name__ != "__main__":  # on the host only (linters, imports); in the child the parts are one module
    from .roles import _guest_candidate, _guest_program, _guest_tests


def _guest_main():
    import marshal
    import os
    import sys

    cfg = marshal.load(sys.stdin.buffer)
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    _guest_confine(cfg)
    {"candidate": _guest_candidate, "tests": _guest_tests}.get(cfg["role"], _guest_program)(cfg)


def _guest_confine(cfg):
    import os
    import resource
    import sys

    sys.set_int_max_str_digits(0)
    for res, val in cfg["rlimits"]:
        hard = resource.getrlimit(res)[1]
        val = val if hard == resource.RLIM_INFINITY else min(val, hard)
        resource.setrlimit(res, (val, val))
    uid = cfg["uid"]
    if uid is not None:  # drop root; reach the stdlib through a directory fd opened before
        root = sys.base_prefix
        via = "/proc/self/fd/%d" % os.open(root, os.O_RDONLY | os.O_DIRECTORY)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        moved = lambda p: via + p[len(root) :] if type(p) is str and (p == root or p.startswith(root + "/")) else p  # noqa: E731
        sys.path[:] = map(moved, sys.path)
        for m in list(sys.modules.values()):  # packages imported so far look for submodules there too
            if type(getattr(m, "__path__", None)) is list:
                m.__path__[:] = map(moved, m.__path__)
        sys.path_importer_cache.clear()
    sys.addaudithook(_guest_hook(cfg))


def _guest_hook(cfg):
    """The audit hook. Everything it uses is bound here, before untrusted code can patch it."""
    import os

    scratch, rep = cfg["scratch"], cfg["report"]
    inside, libs = (scratch + "/",), tuple(r + "/" for r in cfg["lib_roots"])
    me = "/proc/%d/" % os.getpid()
    readable = frozenset(cfg["read_roots"] + [scratch, me + "stat", me + "statm", me + "status"])
    under = tuple(r + "/" for r in cfg["read_roots"]) + inside
    lstat, readlink, getcwd, write, str_, bytes_, int_, type_ = os.lstat, os.readlink, os.getcwd, os.write, str, bytes, int, type
    len_, refused = len, PermissionError
    wflags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    denied_events = frozenset(("os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "os.kill",
        "os.killpg", "subprocess.Popen", "signal.pthread_kill", "os.startfile", "sys.addaudithook", "code.__new__",
        "resource.setrlimit", "resource.prlimit"))  # fmt: skip
    denied_prefixes = ("socket.", "ctypes.", "http.", "urllib.", "ftplib.", "smtplib.", "imaplib.", "nntplib.", "poplib.",
                       "telnetlib.", "webbrowser.", "_winapi.", "winreg.")  # fmt: skip
    denied_modules = frozenset(("ctypes", "_ctypes", "_posixsubprocess", "_testcapi", "_testinternalcapi", "_testbuffer",
        "_testmultiphase", "_testsinglephase", "_testimportmultiple", "_xxsubinterpreters", "_xxinterpchannels", "cffi",
        "_cffi_backend"))  # fmt: skip
    # event -> (indexes of paths that must be in the scratch dir, index of a dir_fd that must be unset)
    writes = {"os.remove": ((0,), 1), "os.rmdir": ((0,), 1), "os.mkdir": ((0,), 2), "os.rename": ((0, 1), 2),
              "os.link": ((0, 1), 2), "os.symlink": ((1,), 2), "os.chmod": ((0,), 2), "os.chown": ((0,), 3),
              "os.utime": ((0,), 3), "os.truncate": ((0,), None), "os.setxattr": ((0,), None),
              "os.removexattr": ((0,), None), "shutil.rmtree": ((0,), 1), "os.chflags": ((0,), None)}  # fmt: skip
    reads = frozenset(("os.listdir", "os.scandir", "os.chdir", "os.getxattr", "os.listxattr"))
    count, made = [0], [0]

    def deny(event, what):
        if count[0] < 8:
            count[0] += 1
            try:
                write(rep, ("V %s%s\n" % (event, " " + what if what else "")).encode("utf-8", "replace"))
            except OSError:
                pass
        raise refused("sandbox: %s refused" % event)

    def resolve(p):
        """Absolute path with symlinks resolved (lexical where lstat fails); None if not a path."""
        if type_(p) is bytes_:
            p = p.decode("utf-8", "surrogateescape")
        elif type_(p) is not str_:
            return None
        if not p.startswith("/"):
            p = getcwd() + "/" + p
        out, todo, hops = [], p.split("/")[::-1], 0
        while todo:
            c = todo.pop()
            if c == "" or c == ".":
                continue
            if c == "..":
                out = out[:-1]
                continue
            cur = "/" + "/".join(out + [c])
            try:
                mode = lstat(cur).st_mode
            except OSError:
                mode = 0
            if mode & 0o170000 != 0o120000:
                out.append(c)
                continue
            hops += 1
            if hops > 40:
                return None
            target = readlink(cur)
            if target.startswith("/"):
                out = []
            todo.extend(target.split("/")[::-1])
        return "/" + "/".join(out)

    def device(r):  # a device node made in the scratch dir (as root without the uid drop)
        try:
            return r not in readable and lstat(r).st_mode & 0o170000 in (0o020000, 0o060000)
        except OSError:
            return False

    def check_read(event, p):
        r = resolve(p)
        if r is None or not (r in readable or r.startswith(under)) or device(r):
            deny(event, r or "a non-str path")

    def check_write(event, p):
        r = resolve(p)
        if r is None or not (r == scratch or r.startswith(inside) or r == "/dev/null") or device(r):
            deny(event, r or "a non-str path")
        made[0] += 1
        if made[0] > 64:  # with RLIMIT_FSIZE, bounds the disk a run can fill
            deny(event, "more than 64 files written")

    def hook(event, args):
        if event in denied_events or event.startswith(denied_prefixes):
            deny(event, "")
        elif event == "open":
            path, mode, flags = args
            if type_(path) is int_:
                return
            if mode is None and flags & wflags:  # os.open: dir_fd is not in the event, so absolute only
                if type_(path) is not str_ or not path.startswith("/"):
                    deny(event, "a relative os.open for writing")
                check_write(event, path)
            elif type_(mode) is str_ and mode.strip("rbt"):
                check_write(event, path)
            else:
                check_read(event, path)
        elif event == "import":
            name, filename = args[0], args[1]
            if type_(name) is not str_ or name.partition(".")[0] in denied_modules:
                deny(event, name if type_(name) is str_ else "?")
            if filename is not None:
                r = resolve(filename)
                if r is None or not r.startswith(libs):
                    deny(event, "%s from %s" % (name, r))
        elif event in writes:
            paths, dir_fd = writes[event]
            if dir_fd is not None and len_(args) > dir_fd and args[dir_fd] is not None and args[dir_fd] != -1:
                deny(event, "dir_fd")
            for i in paths:
                check_write(event, args[i])
        elif event in reads and args and args[0] is not None and type_(args[0]) is not int_:
            check_read(event, args[0])

    return hook
