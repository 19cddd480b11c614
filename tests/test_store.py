"""Store semantics: refs, atomic publish, one version per fingerprint, stale temp dirs."""

import json
import multiprocessing as mp

import pytest

from datagen.errors import UserError
from datagen.store import Store


def _writer(tmp, ref):
    (tmp / "data").mkdir()
    (tmp / "manifest.json").write_text(json.dumps({"fingerprint": "fp", "ref": str(ref)}))


def _publish(root, fp, q):
    def w(tmp, ref):
        (tmp / "manifest.json").write_text(json.dumps({"fingerprint": fp}))

    q.put(str(Store(root).publish("n", fp, w)[0]))


def test_refs_resolve(tmp_path):
    st = Store(tmp_path)
    with pytest.raises(UserError, match="no versions"):
        st.resolve("n@latest")
    st.publish("n", "a", lambda t, r: (t / "manifest.json").write_text('{"fingerprint": "a"}'))
    st.publish("n", "b", lambda t, r: (t / "manifest.json").write_text('{"fingerprint": "b"}'))
    assert str(st.resolve("n@latest")) == "n@v2" and str(st.resolve("n@v1")) == "n@v1"
    with pytest.raises(UserError, match="no such version"):
        st.resolve("n@v7")
    with pytest.raises(UserError, match="NAME@vN"):
        st.resolve("n:v1")


def test_failed_writer_leaves_nothing(tmp_path):
    st = Store(tmp_path)

    def boom(tmp, ref):
        (tmp / "data").mkdir()
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        st.publish("n", "fp", boom)
    assert st.versions("n") == [] and not [p for p in (tmp_path / "n").iterdir() if p.name != ".lock"]


def test_stale_temp_dir_from_a_killed_publish_is_ignored_then_removed(tmp_path):
    (tmp_path / "n" / ".tmp-v1-abc").mkdir(parents=True)
    st = Store(tmp_path)
    assert st.versions("n") == []
    ref, created = st.publish("n", "fp", _writer)
    assert created and str(ref) == "n@v1" and not (tmp_path / "n" / ".tmp-v1-abc").exists()


def test_concurrent_publishers_of_one_fingerprint_make_one_version(tmp_path):
    q = mp.Queue()
    procs = [mp.Process(target=_publish, args=(str(tmp_path), "same", q)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    refs = {q.get(timeout=5) for _ in procs}
    assert refs == {"n@v1"} and Store(tmp_path).versions("n") == [1]
