"""Checking a model reference (a local path or a Hugging Face id) before an engine loads it,
and turning load failures into one-line errors that name the model, the backend and the fix.

`check_model_ref` runs before any heavy import (torch, vllm): a local path that does not
exist or a string that is not a valid Hub id is bad input (`UserError`, exit 2); a valid id
that is not in the local Hugging Face cache while the Hub is offline (`HF_HUB_OFFLINE=1`)
is a failure to reach the Hub (`DatagenError`, exit 1). `load_error` maps what an engine
raises while loading (repository not found, gated, no network, ...) the same way.

What it does not do: check that a cached or local model is complete or loadable (the engine
does), or contact the Hub itself.
"""

from __future__ import annotations

import os
from pathlib import Path

from datagen.errors import DatagenError, UserError

DISPLAY = {"vllm": "vLLM", "transformers": "transformers", "openai": "openai", "sentence-transformers": "sentence-transformers"}


def looks_like_path(ref: str) -> bool:
    """A reference written as a filesystem path (absolute, ./, ../, ~, or more than one '/')."""
    return ref.startswith(("/", "./", "../", "~", ".\\")) or ref in (".", "..") or "\\" in ref or ref.count("/") > 1


def hub_offline() -> bool:
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return True
    return any(os.environ.get(v, "").upper() in ("1", "ON", "YES", "TRUE") for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def in_hub_cache(repo_id: str, revision: str | None = None, cache_dir: str | None = None) -> bool:
    """Whether the local Hugging Face cache holds a snapshot of `repo_id` (at `revision`, if given)."""
    from huggingface_hub import constants
    from huggingface_hub.file_download import repo_folder_name

    root = Path(cache_dir or constants.HF_HUB_CACHE) / repo_folder_name(repo_id=repo_id, repo_type="model")
    snaps = root / "snapshots"
    if not snaps.is_dir():
        return False
    if revision:
        ref = root / "refs" / revision
        commit = ref.read_text().strip() if ref.is_file() else revision
        return (snaps / commit).is_dir()
    return any(snaps.iterdir())


def _where(field: str, ref: str, backend: str) -> str:
    return f"{field} {ref!r} ({backend if backend == 'sentence-transformers' else f'backend {backend}'})"


def check_model_ref(ref: str, backend: str, field: str = "model", revision: str | None = None,
                    aliases: tuple[str, ...] = (), cache_dir: str | None = None, need: tuple[str, ...] = ()) -> None:
    """Raise a one-line error when `ref` cannot be a loadable model: not an existing path and
    not a valid Hub id (UserError), or a Hub id that is not cached while the Hub is offline
    (DatagenError). `aliases`: other ids the loader would also try (sentence-transformers'
    short names). `need`: files an existing local directory must hold (config.json)."""
    where = _where(field, ref, backend)
    path = Path(ref).expanduser()
    if path.exists():
        if path.is_dir() and need and not any((path / f).exists() for f in need):
            raise UserError(f"{where}: the directory has no {' or '.join(need)}, so it is not a model directory; "
                            "give the directory a model was saved to (save_pretrained) or a Hugging Face id ORG/NAME")
        return
    if looks_like_path(ref):
        raise UserError(f"{where}: no such file or directory; give an existing model directory or a Hugging Face id ORG/NAME")
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(ref)
    except HFValidationError:
        raise UserError(f"{where}: neither an existing local path nor a valid Hugging Face id (ORG/NAME: letters, digits, "
                        "'-', '_', '.'); fix the name or give an existing model directory") from None
    cached = any(in_hub_cache(r, revision, cache_dir) for r in (ref, *aliases))
    if hub_offline():
        if not cached:
            raise DatagenError(f"{where}: no local directory of that name, and the Hub is offline (HF_HUB_OFFLINE=1) with no copy "
                               f"of the model in the Hugging Face cache; download it first (`hf download {ref}`) where the Hub is "
                               "reachable, unset HF_HUB_OFFLINE, or give a local model directory")
        return
    from datagen.hub import unreachable_reason

    down = unreachable_reason()
    if down is None:
        return
    if not cached:
        raise DatagenError(f"{where}: the Hugging Face Hub is unreachable ({down}) and the model is not in its cache; "
                           f"download it first (`hf download {ref}`) where the Hub is reachable, or give a local model directory")
    _go_offline(down)


def _go_offline(why: str) -> None:
    """The Hub is unreachable but the cache has the model: load it from there at once (the
    libraries would otherwise retry the Hub for ~20 s per file first). Set in the environment
    too, for engine processes started later."""
    import logging

    from huggingface_hub import constants

    if not constants.HF_HUB_OFFLINE:
        logging.getLogger("datagen").warning("the Hugging Face Hub is unreachable (%s): models load from its cache (HF_HUB_OFFLINE=1)", why)
    os.environ["HF_HUB_OFFLINE"] = "1"
    constants.HF_HUB_OFFLINE = True


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def load_error(exc: BaseException, ref: str, backend: str, field: str = "model") -> DatagenError | None:
    """The one-line error for an exception an engine raised while loading `ref`, or None when it
    is not about finding the model (then the original exception stands)."""
    from huggingface_hub import errors as hf

    where = _where(field, ref, backend)
    for e in _chain(exc):
        if isinstance(e, DatagenError):
            return e
        if isinstance(e, hf.GatedRepoError):
            return UserError(f"{where}: the model is gated on the Hub; accept its terms on huggingface.co and log in "
                             "(`hf auth login` or HF_TOKEN) with an account that has access")
        if isinstance(e, hf.RepositoryNotFoundError):
            return UserError(f"{where}: no such model on the Hub (or it is private: log in with `hf auth login` or HF_TOKEN); "
                             "fix the id or give an existing model directory")
        if isinstance(e, hf.RevisionNotFoundError):
            return UserError(f"{where}: the revision does not exist on the Hub; fix `revision`")
        if isinstance(e, (hf.LocalEntryNotFoundError, hf.OfflineModeIsEnabled)):
            return DatagenError(f"{where}: the model is not in the Hugging Face cache and the Hub could not be reached "
                                f"({type(e).__name__}); download it first (`hf download {ref}`) where the Hub is reachable, "
                                "or give a local model directory")
        if _is_network_error(e):
            return DatagenError(f"{where}: the Hugging Face Hub is unreachable ({type(e).__name__}: {str(e)[:120]}); "
                                f"check the network or proxy, or download the model first (`hf download {ref}`) and run "
                                "with HF_HUB_OFFLINE=1")
    text = str(exc)
    if isinstance(exc, OSError) and "is not a valid model identifier" in text:
        return UserError(f"{where}: no such model on the Hub or on disk; fix the id or the path")
    if isinstance(exc, OSError) and ("couldn't connect" in text.lower() or "offline mode" in text.lower()):
        return DatagenError(f"{where}: the Hugging Face Hub is unreachable and the model is not cached; "
                            f"download it first (`hf download {ref}`) or give a local model directory")
    return None


def _is_network_error(e: BaseException) -> bool:
    import socket

    if isinstance(e, (ConnectionError, socket.gaierror, socket.timeout, TimeoutError)):
        return True
    mod = type(e).__module__ or ""
    name = type(e).__name__
    return (mod.startswith(("httpx", "httpcore")) and name in ("ConnectError", "ConnectTimeout", "ReadTimeout", "NetworkError", "ProxyError")) \
        or (mod.startswith(("requests", "urllib3")) and name in ("ConnectionError", "ConnectTimeout", "MaxRetryError", "NewConnectionError", "ProxyError"))
