"""`datagen push`: upload a version directory to a Hugging Face dataset repo with
`huggingface_hub`, then tag the commit `vN` so `load_dataset(repo, revision="vN")` returns
exactly this version. The token comes from huggingface_hub's usual places (HF_TOKEN, the
login cache) and is never printed."""

from __future__ import annotations

from datagen.errors import DatagenError, UserError


def push_version(store, ref: str, repo_id: str, tag: bool = True, private: bool = False, dry_run: bool = False) -> dict:
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise UserError(f"--repo-id {repo_id!r}: expected ORG/NAME")
    r = store.resolve(ref)
    path = store.path(r)
    files = sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())
    plan = {"ref": str(r), "repo_id": repo_id, "path": str(path), "files": files, "tag": f"v{r.version}" if tag else None}
    if dry_run:
        return {**plan, "dry_run": True}
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    api = HfApi()
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        commit = api.upload_folder(
            folder_path=str(path), repo_id=repo_id, repo_type="dataset", commit_message=f"datagen: {r}",
            delete_patterns=["data/*", "test/*", "rejected/*"],  # the repo mirrors exactly this version
        )
        if tag:
            api.create_tag(repo_id, tag=f"v{r.version}", revision=commit.oid, repo_type="dataset")  # an existing tag is an error, never moved
    except HfHubHTTPError as e:
        raise DatagenError(f"push to {repo_id} failed: {_first_line(e)}") from None
    except Exception as e:
        if not _unreachable(e):
            raise
        from huggingface_hub import constants

        raise DatagenError(f"cannot reach the Hugging Face Hub ({constants.ENDPOINT}): {_first_line(e)}; "
                           "check the network or HF_ENDPOINT") from None
    return {**plan, "commit": commit.oid, "url": commit.commit_url}


def _unreachable(err: BaseException) -> bool:
    """A network failure anywhere in the chain: offline mode (a ConnectionError), refused or
    timed-out connections, DNS, and the HTTP client's transport errors (httpx/requests)."""
    import socket

    seen = 0
    while err is not None and seen < 10:
        if isinstance(err, (ConnectionError, TimeoutError, socket.gaierror)):
            return True
        if {c.__name__ for c in type(err).__mro__} & {"TransportError", "NetworkError", "TimeoutException", "ConnectTimeout", "RequestException"}:
            return True
        err, seen = err.__cause__ or err.__context__, seen + 1
    return False


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0].rstrip(".")
