"""The OpenAI Batch API path of the `openai` backend (`batch: true` on the model spec).

`BatchRunner.run(requests, sampling, on_done)` writes one JSONL line per request (`{"custom_id",
"method": "POST", "url": "/v1/chat/completions", "body"}`: the body `OpenAIBackend.payload`
sends one at a time, the custom_id a hash of it), splits the lines by `batch_max_requests` and
`batch_max_bytes`, uploads each chunk (`POST /files`, purpose `batch`), creates a batch (`POST
/batches`), polls `GET /batches/ID` every `batch_poll_s` seconds and, as each batch ends, reads
its output and error files (`GET /files/ID/content`) and reports each completed line through
`on_done` at once, so the request cache stores it (one row per request, as without batches).

The rest: a failed line (error-file entry, non-200 `status_code`) is retried as a normal
request (`OpenAIBackend.run_direct`, its usual retries and reasons); an expired batch keeps
what it finished and its other lines go into a new batch (a normal request after `max_retries`
expiries); a `failed` batch (validation errors, enqueued-token limits) or a chunk the API will
not take: a warning with the API's reason on stderr, and its lines go as normal requests (full
price), so the data is complete; a cancelled batch's unfinished lines fail with that reason; a
batch whose status cannot be read (API unreachable after retries): its requests fail with that
reason and it stays in the journal for a re-run; nothing is sent twice.

Resumable: each batch is recorded in a sqlite journal, `$DATAGEN_CACHE/openai_batches/HASH.sqlite`
(HASH of the backend identity and `base_url`): input file id, batch id, status, custom_ids,
written before and after the batch is created. A run whose misses overlap a recorded batch
polls that batch instead of submitting them again (a re-run after a crash, or a day later); a
row whose creation was cut short is found by its input file in `GET /batches`. A row goes once
all its lines were delivered; finished batches with lines nobody asked for yet stay 30 days
(the API's file retention). The journal holds no API key and no request text.

What it does not do: stream results of a running batch (the API gives none), batch other
endpoints (embeddings, responses), or bill retried lines at full price in the cost figures.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from datagen.llm.base import Completion, OnDone, Request
from schemas.sampling import Sampling

ENDPOINT = "/v1/chat/completions"
TERMINAL = {"completed", "failed", "expired", "cancelled"}
NOT_RUN = {"batch_expired", "batch_cancelled"}  # error codes of lines a batch never ran
KEEP_S = 30 * 86400  # the API keeps batch files about 30 days


class BatchAPIError(Exception):
    def __init__(self, reason: str, status: int | None = None):
        super().__init__(reason)
        self.status = status


def custom_id(body: dict) -> str:
    """A stable id for one request body: the same request in any run gets the same id."""
    return "dg-" + hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:40]


def jsonl_line(cid: str, body: dict) -> bytes:
    return (json.dumps({"custom_id": cid, "method": "POST", "url": ENDPOINT, "body": body}, separators=(",", ":")) + "\n").encode()


def chunk_lines(lines: Sequence[tuple[str, bytes]], max_requests: int, max_bytes: int) -> list[list[tuple[str, bytes]]]:
    """Consecutive chunks of at most `max_requests` lines and `max_bytes` bytes (a line over
    `max_bytes` gets a chunk of its own; the runner sends such lines as normal requests)."""
    chunks, cur, size = [], [], 0
    for cid, line in lines:
        if cur and (len(cur) >= max_requests or size + len(line) > max_bytes):
            chunks.append(cur)
            cur, size = [], 0
        cur.append((cid, line))
        size += len(line)
    if cur:
        chunks.append(cur)
    return chunks


def journal_path(identity: dict, base_url: str) -> Path:
    from datagen.paths import cache_dir

    key = hashlib.sha256(json.dumps({"identity": identity, "base_url": base_url}, sort_keys=True).encode()).hexdigest()[:16]
    return cache_dir() / "openai_batches" / f"{key}.sqlite"


class BatchJournal:
    """Batches submitted for one model at one endpoint: one row per input file."""

    def __init__(self, path: str | Path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), timeout=60, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS batches (input_file_id TEXT PRIMARY KEY, batch_id TEXT, created REAL,"
                        " status TEXT, ids TEXT, handled TEXT NOT NULL DEFAULT '[]')")
        self.db.execute("DELETE FROM batches WHERE created < ? AND status IN ('completed', 'expired', 'cancelled', 'failed')",
                        (time.time() - KEEP_S,))

    def rows(self) -> list[dict]:
        cur = self.db.execute("SELECT input_file_id, batch_id, created, status, ids, handled FROM batches ORDER BY created DESC")
        return [{"input_file_id": f, "batch_id": b, "created": c, "status": s, "ids": json.loads(i), "handled": json.loads(h)}
                for f, b, c, s, i, h in cur.fetchall()]

    def add(self, input_file_id: str, ids: Sequence[str]) -> None:
        self.db.execute("INSERT OR REPLACE INTO batches VALUES (?, NULL, ?, 'uploaded', ?, '[]')",
                        (input_file_id, time.time(), json.dumps(list(ids))))

    def set(self, input_file_id: str, batch_id: str | None = None, status: str | None = None) -> None:
        if batch_id:
            self.db.execute("UPDATE batches SET batch_id = ? WHERE input_file_id = ?", (batch_id, input_file_id))
        if status:
            self.db.execute("UPDATE batches SET status = ? WHERE input_file_id = ?", (status, input_file_id))

    def handled(self, input_file_id: str, ids) -> None:
        """Mark lines as delivered (or passed on); the row goes once all of them are."""
        self.db.execute("BEGIN IMMEDIATE")  # read and write as one: another process may share the journal
        try:
            row = self.db.execute("SELECT ids, handled FROM batches WHERE input_file_id = ?", (input_file_id,)).fetchone()
            done = set(json.loads(row[1])) | set(ids) if row else set()
            if row and done >= set(json.loads(row[0])):
                self.db.execute("DELETE FROM batches WHERE input_file_id = ?", (input_file_id,))
            elif row:
                self.db.execute("UPDATE batches SET handled = ? WHERE input_file_id = ?", (json.dumps(sorted(done)), input_file_id))
        finally:
            self.db.execute("COMMIT")

    def drop(self, input_file_id: str) -> None:
        self.db.execute("DELETE FROM batches WHERE input_file_id = ?", (input_file_id,))

    def close(self) -> None:
        self.db.close()


@dataclass
class _Open:
    input_file_id: str
    batch_id: str
    ids: set[str]  # the lines of it this run wants
    info: dict = field(default_factory=dict)  # the last GET /batches/ID


class BatchRunner:
    """One `run` call's requests through the Batch API (see the module doc)."""

    def __init__(self, backend, journal: str | Path | None = None):
        self.backend, self.spec = backend, backend.spec
        self.journal_file = journal or journal_path(backend.identity, self.spec.base_url)

    def run(self, requests: Sequence[Request], sampling: Sampling, on_done: OnDone) -> None:
        import httpx

        from datagen.progress import task

        bodies = [self.backend.payload(r, sampling) for r in requests]
        self.want: dict[str, list[int]] = {}  # custom_id -> indices in `requests` (identical bodies share a line)
        for j, body in enumerate(bodies):
            self.want.setdefault(custom_id(body), []).append(j)
        self.body = {cid: bodies[js[0]] for cid, js in self.want.items()}
        self.on_done, self.delivered, self.expiries = on_done, set(), {}
        self.direct: set[str] = set()  # custom_ids to send as normal requests
        headers = {"Authorization": f"Bearer {self.backend._api_key}"} if self.backend._api_key else {}
        self.client = httpx.Client(base_url=self.spec.base_url.rstrip("/") + "/", headers=headers, timeout=self.spec.timeout_s)
        self.journal = BatchJournal(self.journal_file)
        try:
            with self.client, task(f"openai batches: {len(self.want)} requests"):
                running = self._adopt()
                rest = [cid for cid in self.want if not any(cid in b.ids for b in running)]
                while rest or running:
                    running += self._submit(rest)
                    rest = []
                    for b in self._wait(running):
                        running.remove(b)
                        rest += self._collect(b)
        except Exception as e:  # a bug or odd reply must not sink the run; what was submitted stays in the journal
            why = self.backend._redact(f"{type(e).__name__}: {e}")
            for cid in set(self.want) - self.delivered - self.direct:
                self._deliver(cid, Completion.failed(f"batch run failed ({why}); re-run to pick up its batches"))
        finally:
            self.journal.close()
        if self.direct:
            cids = list(self.direct)
            self.backend.run_direct([requests[self.want[c][0]] for c in cids], sampling, lambda k, c: self._deliver(cids[k], c))

    # -- steps ----------------------------------------------------------------------------
    def _adopt(self) -> list[_Open]:
        """Recorded batches holding lines this run wants (a re-run after a crash)."""
        running, taken, listing = [], set(), None
        for row in self.journal.rows():  # newest first: a line sent again after an expiry is taken from its newest batch
            ids = set(row["ids"]) & self.want.keys() - taken
            if not ids:
                continue
            if not row["batch_id"]:  # cut short between upload and create: did the create go through?
                if listing is None:
                    try:
                        listing = self._call("GET", "batches", params={"limit": 100}).json().get("data") or []
                    except (BatchAPIError, ValueError):
                        listing = []
                row["batch_id"] = next((b["id"] for b in listing if b.get("input_file_id") == row["input_file_id"]), None)
                if not row["batch_id"]:
                    self.journal.drop(row["input_file_id"])
                    continue
                self.journal.set(row["input_file_id"], batch_id=row["batch_id"])
            running.append(_Open(row["input_file_id"], row["batch_id"], ids))
            taken |= ids
            self._say(f"picking up {row['batch_id']} ({len(ids)} requests, {row['status']})")
        return running

    def _submit(self, cids: list[str]) -> list[_Open]:
        spec, out = self.spec, []
        lines = [(cid, jsonl_line(cid, self.body[cid])) for cid in cids]
        self.direct |= {cid for cid, line in lines if len(line) > spec.batch_max_bytes}  # too big for any batch
        lines = [(cid, line) for cid, line in lines if cid not in self.direct]
        for chunk in chunk_lines(lines, spec.batch_max_requests, spec.batch_max_bytes):
            ids = [cid for cid, _ in chunk]
            fid = None
            try:
                up = self._call("POST", "files", data={"purpose": "batch"}, timeout=max(spec.timeout_s, 600),
                                files={"file": ("datagen-batch.jsonl", b"".join(line for _, line in chunk), "application/jsonl")})
                fid = up.json()["id"]
                self.journal.add(fid, ids)
                info = self._call("POST", "batches", json={"input_file_id": fid, "endpoint": ENDPOINT,
                                                           "completion_window": spec.batch_completion_window,
                                                           "metadata": {"created_by": "datagen"}}).json()
            except (BatchAPIError, ValueError, KeyError) as e:
                if fid:
                    self.journal.drop(fid)
                self._say(f"warning: the batch API refused {len(ids)} requests ({e}); sending them as normal requests")
                self.direct.update(ids)
                continue
            self.journal.set(fid, batch_id=info["id"], status=info.get("status"))
            self._say(f"submitted {info['id']} ({len(ids)} request{'s' * (len(ids) != 1)})")
            out.append(_Open(fid, info["id"], set(ids), info))
        return out

    def _wait(self, running: list[_Open]) -> list[_Open]:
        """Poll until at least one batch has ended; those that ended (or cannot be read)."""
        while True:
            ended = []
            for b in running:
                before = b.info.get("status")
                try:
                    b.info = self._call("GET", f"batches/{b.batch_id}").json()
                except (BatchAPIError, ValueError) as e:
                    b.info = {"status": "unreadable", "reason": str(e), "http": getattr(e, "status", None)}
                status = b.info.get("status")
                if status != before and status != "unreadable":
                    counts = b.info.get("request_counts") or {}
                    self._say(f"{b.batch_id} {status} ({counts.get('completed', 0)}/{counts.get('total', len(b.ids))} done)")
                    self.journal.set(b.input_file_id, status=status)
                if status in TERMINAL or status == "unreadable":
                    ended.append(b)
            if ended:
                return ended
            time.sleep(self.spec.batch_poll_s)

    def _collect(self, b: _Open) -> list[str]:
        """Deliver what batch `b` finished; returns the custom_ids to put in a new batch."""
        status, info = b.info.get("status"), b.info
        if status == "unreadable":
            if info.get("http") == 404:  # no such batch (any more): submit its lines again
                self.journal.drop(b.input_file_id)
                return sorted(b.ids)
            for cid in b.ids:  # it may still run: leave it in the journal for a re-run
                self._deliver(cid, Completion.failed(f"batch {b.batch_id} unreadable ({info['reason']}); re-run to pick it up"))
            return []
        failed_lines: set[str] = set()
        try:
            for fid in (info.get("output_file_id"), info.get("error_file_id")):
                if fid:
                    for cid, completion, ran in self._read_lines(fid):
                        if cid in b.ids and completion is not None:
                            self._deliver(cid, completion)
                        elif cid in b.ids and ran:
                            failed_lines.add(cid)
        except BatchAPIError as e:
            if e.status != 404:
                for cid in b.ids - self.delivered:
                    self._deliver(cid, Completion.failed(f"batch {b.batch_id} output unreadable ({e}); re-run to pick it up"))
                return []
            self.journal.drop(b.input_file_id)  # its files are gone: submit what is left again
            return sorted(b.ids - self.delivered)
        self.direct |= failed_lines - self.delivered
        left = sorted(b.ids - self.delivered - failed_lines)
        again = []
        if status == "failed":
            why = "; ".join(e.get("message", "") for e in (info.get("errors") or {}).get("data") or []) or "no reason given"
            self._say(f"warning: {b.batch_id} failed ({why}); sending its {len(left)} requests as normal requests")
            self.direct.update(left)
        elif status == "cancelled":
            for cid in left:
                self._deliver(cid, Completion.failed(f"batch {b.batch_id} was cancelled"))
        elif status == "expired":
            for cid in left:
                self.expiries[cid] = self.expiries.get(cid, 0) + 1
                if self.expiries[cid] > self.spec.max_retries:
                    self.direct.add(cid)
                else:
                    again.append(cid)
            if again:
                self._say(f"{b.batch_id} expired with {len(again)} requests not run: submitting them again")
        else:  # completed, but lines are missing
            self.direct.update(left)
        self.journal.handled(b.input_file_id, b.ids)
        return again

    def _read_lines(self, file_id: str):
        """(custom_id, completion or None, whether the line ran) per line of an output or error file:
        a line that ran without a completion failed; one that never ran (expired, cancelled) did not."""
        from datagen.llm.openai_backend import parse_completion

        text = self._call("GET", f"files/{file_id}/content", timeout=max(self.spec.timeout_s, 600)).text
        for raw in text.splitlines():
            if not raw.strip():
                continue
            line = json.loads(raw)
            response, error = line.get("response") or {}, line.get("error") or {}
            code = response.get("status_code")
            completion = None
            if code == 200 and not error:
                try:
                    completion = parse_completion(response["body"])
                except (ValueError, KeyError, IndexError, TypeError):  # an odd body: a failed line
                    pass
            yield line.get("custom_id"), completion, error.get("code") not in NOT_RUN

    # -- helpers --------------------------------------------------------------------------
    def _deliver(self, cid: str, completion: Completion) -> None:
        if cid in self.delivered:
            return
        self.delivered.add(cid)
        for j in self.want[cid]:
            self.on_done(j, completion)

    def _call(self, method: str, url: str, **kw):
        """One Batch/Files API call with the backend's retries (429, 5xx, connection errors)."""
        import httpx

        from datagen.llm.openai_backend import RETRY_STATUS, parse_retry_after

        reason = "no attempt made"
        for attempt in range(self.spec.max_retries + 1):
            retry_after = None
            try:
                r = self.client.request(method, url, **kw)
            except httpx.TransportError as e:
                reason = f"connection error ({type(e).__name__})"
            else:
                if r.status_code < 300:
                    return r
                reason = f"http {r.status_code}: {r.text[:300]}"
                if r.status_code not in RETRY_STATUS and r.status_code < 500:
                    raise BatchAPIError(self.backend._redact(f"{method} {url}: {reason}"), r.status_code)
                retry_after = parse_retry_after(r.headers)
            if attempt < self.spec.max_retries:
                time.sleep(self.backend._delay(attempt, retry_after))
        raise BatchAPIError(self.backend._redact(f"{method} {url}: {reason} after {self.spec.max_retries} retries"))

    def _say(self, message: str) -> None:
        from datagen.progress import quiet

        if not quiet():
            print(f"openai batches: {message}", file=sys.stderr, flush=True)
