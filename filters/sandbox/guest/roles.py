"""Guest (runs inside the child): the three roles a confined child plays. `_guest_program`
runs a program; `_guest_candidate` runs the candidate's code and serves calls to its
functions; `_guest_tests` (the judge) runs the tests with proxies for those functions and
writes the host's nonce on its report pipe only after every test ran. `_guest_why` turns an
exception from untrusted code into a (kind, text) report.

Does NOT cover: confinement and the audit hook (`confine.py`), the value encoding
(`wire.py`), or how the host reads the reports into a verdict (`runner`).
"""

if __name__ != "__main__":  # on the host only (linters, imports); in the child the parts are one module
    from .wire import _guest_channel, _guest_enc


def _guest_why(e, filename):
    """(kind, text) for an exception raised by untrusted code."""
    if isinstance(e, SyntaxError):
        return "syntax", "%s (line %s)" % (e.msg, e.lineno)
    if isinstance(e, MemoryError):
        return "memory", ""
    if isinstance(e, SystemExit):
        return "exited_early", "SystemExit(%r)" % (e.code,)
    if not isinstance(e, Exception):
        return "exited_early", type(e).__name__
    line, tb = None, e.__traceback__
    while tb is not None:
        line = tb.tb_lineno if tb.tb_frame.f_code.co_filename == filename else line
        tb = tb.tb_next
    try:
        text = str(e)
    except Exception:
        text = "?"
    return "error", ("%s: %s%s" % (type(e).__name__, text, " (line %s)" % line if line else ""))[:300]


def _guest_program(cfg):
    import builtins
    import os
    import sys

    try:
        exec(compile(cfg["code"], "<program>", "exec"), {"__name__": "__main__", "__builtins__": builtins})
    except SystemExit:
        raise
    except BaseException as e:
        os.write(cfg["report"], ("F %s %s\n" % _guest_why(e, "<program>")).encode("utf-8", "replace"))
        import traceback

        traceback.print_exc()
        sys.exit(1)


def _guest_candidate(cfg):
    """Run the candidate's code, send the judge its names, then serve calls until EOF."""
    import builtins
    import os

    send, recv = _guest_channel(cfg["rfd"], cfg["wfd"])
    ns = {"__name__": "__main__", "__builtins__": builtins}
    try:
        exec(compile(cfg["code"], "<candidate>", "exec"), ns)
    except BaseException as e:
        send(["E", *_guest_why(e, "<candidate>")])
        return
    funcs, data, mods = [], {}, {}
    for k, v in list(ns.items()):
        if type(v) is type(os):
            mods[k] = v.__name__
        elif callable(v):
            funcs.append(k)
        elif not k.startswith("__"):
            try:
                _guest_enc(v, [])
                data[k] = v
            except Exception:
                pass
    send(["M", funcs, data, mods])
    while True:
        msg = recv()
        if msg is None:
            return
        try:
            r = ns[msg[0]](*msg[1], **msg[2])
        except Exception as e:
            send(["X", type(e).__module__, type(e).__name__, _guest_why(e, "<candidate>")[1]])
            continue
        except BaseException as e:  # SystemExit, KeyboardInterrupt... inside a call
            send(["Q", type(e).__name__])
            return
        try:
            send(["R", r])
        except TypeError as e:
            send(["U", str(e)])


def _guest_tests(cfg):
    """Run the test code with proxies for the candidate's functions; report to the host."""
    import builtins
    import os

    send, recv = _guest_channel(cfg["rfd"], cfg["wfd"])
    bad = []

    class CandidateExit(BaseException):
        pass

    class CandidateError(Exception):
        pass

    def report(kind, text=""):
        line = ("%s %s" % (kind, text)).replace("\n", " ")[:1000] + "\n"
        os.write(cfg["report"], line.encode("utf-8", "replace"))

    def raised(mod, name, text):
        cls = getattr(builtins, name, None) if mod == "builtins" and type(name) is str else None
        try:
            if isinstance(cls, type) and issubclass(cls, Exception):
                return cls(text.partition(": ")[2])
        except Exception:
            pass
        return CandidateError(str(text))

    def proxy(name):
        def call(*args, **kwargs):
            if bad:
                raise CandidateExit(bad[0])
            try:
                send([name, list(args), kwargs])
            except TypeError as e:
                raise TypeError("cannot pass %s to the candidate" % e) from None
            msg = recv()
            tag = msg[0] if type(msg) is list and msg else None
            if tag == "R" and len(msg) == 2:
                return msg[1]
            if tag == "X" and len(msg) == 4:
                raise raised(*msg[1:])
            what = msg[1] if tag in ("U", "Q") and len(msg) == 2 and type(msg[1]) is str else "?"
            bad.append({"U": "unsafe returned %s" % what, "Q": "exited_early %s raised in %s" % (what, name)}.get(
                tag, "exited_early candidate process ended during a call to %s" % name))  # fmt: skip
            raise CandidateExit(bad[0])

        call.__name__ = call.__qualname__ = name
        return call

    try:
        msg = recv()
        if msg is None or msg[0] == "E":
            return report("F", "exited_early candidate ended while loading" if msg is None else "%s %s" % (msg[1], msg[2]))
        _, funcs, data, mods = msg
        ns = {"__name__": "__main__", "__builtins__": builtins}
        names = list(funcs) + list(data) + list(mods)
        keep = [k for k in names if type(k) is str and k != "check" and not hasattr(builtins, k)]
        for k in keep:  # the candidate's names, minus any that would shadow a builtin
            if k in mods and type(mods[k]) is str and k in (mods[k].partition(".")[0], mods[k].rpartition(".")[2]):
                ns[k] = __import__(mods[k], fromlist=["_"] if k != mods[k].partition(".")[0] else [])
            elif k in data:
                ns[k] = data[k]
            elif k in funcs:
                ns[k] = proxy(k)
        exec(compile(cfg["test"], "<test>", "exec"), ns)
        entry = cfg["entry_point"]
        if entry and entry not in funcs:
            return report("F", "no_function the code defines no %r" % entry)
        if entry and callable(ns.get("check")):
            ns["check"](proxy(entry))
    except CandidateExit:
        pass
    except AssertionError as e:
        return report("F", "tests_failed %s" % e)
    except MemoryError:
        return report("F", "memory")
    except BaseException as e:
        return report("F", "error %s: %s" % (type(e).__name__, e))
    report(*(("F", bad[0]) if bad else ("OK", cfg["nonce"])))
