"""A local stand-in for the OpenAI Batch API, running its lines on a real vLLM server.

`BatchServer(upstream)` (aiohttp, 127.0.0.1, its own thread; `upstream=None`: no model, each
line answered "echo SEED", for tests that need no vLLM) serves what datagen's batch path
uses: `POST /v1/files` (multipart, purpose `batch`), `GET /v1/files/ID/content`,
`POST /v1/batches`, `GET /v1/batches/ID`, `GET /v1/batches` (a list, newest first),
`POST /v1/batches/ID/cancel`, and `POST /v1/chat/completions` (forwarded: the normal
requests a failed line is retried as). A batch goes validating -> in_progress -> completed in
a background task that forwards each line's body to `upstream/chat/completions`; output and
error files are written as the API writes them (`{"id", "custom_id", "response":
{"status_code", "request_id", "body"}, "error"}`).

Faults, for tests: `expire_after={k: n}` expires the k-th batch (0-based) after n lines
(status `expired`, partial output, the rest `batch_expired` in the error file); `fail(cid)`
-> an HTTP status makes that line fail with it (an error-file entry); `refuse={k}` fails the
k-th batch at validation; `hold` (a threading.Event, set = go) keeps lines from running.
Counters: `uploads`, `batches` (the created batch objects, with their line counts),
`polls`, `direct` (normal chat requests).

What it does not do: check an API key, keep files beyond the server's life, bill anything,
or honour `completion_window` (expiry is only the fault knob).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time

from tests.integration.local_app import start_app


class BatchServer:
    def __init__(self, upstream: str | None, expire_after: dict | None = None, fail=None, refuse: set | None = None,
                 hold: threading.Event | None = None, validating_s: float = 0.1, concurrency: int = 8):
        self.upstream = upstream.rstrip("/") if upstream else None
        self.expire_after, self.fail, self.refuse = expire_after or {}, fail or (lambda cid: None), refuse or set()
        self.hold = hold
        self.validating_s, self.concurrency = validating_s, concurrency
        self.files: dict[str, bytes] = {}
        self.uploads: list[str] = []  # file ids uploaded by clients
        self.batches: list[dict] = []  # every batch created, in order
        self.lines: dict[str, int] = {}  # batch id -> lines in its input file
        self.polls = 0
        self.direct = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self._tasks: set = set()

    def __enter__(self) -> str:
        self._thread.start()
        assert self._ready.wait(30), "batch server did not start"
        return f"http://127.0.0.1:{self.port}/v1"

    def __exit__(self, *exc) -> None:
        if self.hold is not None:
            self.hold.set()
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    async def _main(self) -> None:
        import aiohttp
        from aiohttp import web

        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        app = web.Application(client_max_size=1 << 30)
        app.router.add_post("/v1/files", self._upload)
        app.router.add_get("/v1/files/{id}/content", self._content)
        app.router.add_post("/v1/batches", self._create)
        app.router.add_get("/v1/batches", self._list)
        app.router.add_get("/v1/batches/{id}", self._get)
        app.router.add_post("/v1/batches/{id}/cancel", self._cancel)
        app.router.add_post("/v1/chat/completions", self._chat)
        runner, self.port = await start_app(app)
        async with aiohttp.ClientSession() as self._session:
            self._ready.set()
            await self._stop.wait()
            for t in list(self._tasks):
                t.cancel()
            await runner.cleanup()

    # -- files --------------------------------------------------------------------------
    def _new_file(self, data: bytes) -> str:
        fid = f"file-{len(self.files) + 1}"
        self.files[fid] = data
        return fid

    async def _upload(self, request):
        from aiohttp import web

        form = await request.post()
        if form.get("purpose") != "batch" or "file" not in form:
            return web.json_response({"error": {"message": "need purpose=batch and a file"}}, status=400)
        data = form["file"].file.read()
        fid = self._new_file(data)
        self.uploads.append(fid)
        return web.json_response({"id": fid, "object": "file", "bytes": len(data), "created_at": int(time.time()),
                                  "filename": form["file"].filename, "purpose": "batch"})

    async def _content(self, request):
        from aiohttp import web

        data = self.files.get(request.match_info["id"])
        if data is None:
            return web.json_response({"error": {"message": "no such file"}}, status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    # -- batches ------------------------------------------------------------------------
    async def _create(self, request):
        from aiohttp import web

        body = await request.json()
        fid = body.get("input_file_id")
        if fid not in self.files or body.get("endpoint") != "/v1/chat/completions":
            return web.json_response({"error": {"message": "bad input_file_id or endpoint"}}, status=400)
        k = len(self.batches)
        lines = [json.loads(x) for x in self.files[fid].decode().splitlines() if x.strip()]
        batch = {"id": f"batch_{k}", "object": "batch", "endpoint": body["endpoint"], "errors": None, "input_file_id": fid,
                 "completion_window": body.get("completion_window"), "status": "validating", "output_file_id": None,
                 "error_file_id": None, "created_at": int(time.time()), "metadata": body.get("metadata"),
                 "request_counts": {"total": len(lines), "completed": 0, "failed": 0}}
        self.batches.append(batch)
        self.lines[batch["id"]] = len(lines)
        task = asyncio.get_running_loop().create_task(self._process(k, batch, lines))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.json_response(batch)

    def _find(self, request):
        return next((b for b in self.batches if b["id"] == request.match_info["id"]), None)

    async def _get(self, request):
        from aiohttp import web

        self.polls += 1
        batch = self._find(request)
        return web.json_response(batch) if batch else web.json_response({"error": {"message": "no such batch"}}, status=404)

    async def _list(self, request):
        from aiohttp import web

        return web.json_response({"object": "list", "data": self.batches[::-1], "has_more": False})

    async def _cancel(self, request):
        from aiohttp import web

        batch = self._find(request)
        if batch is None:
            return web.json_response({"error": {"message": "no such batch"}}, status=404)
        if batch["status"] not in ("completed", "failed", "expired", "cancelled"):
            batch["status"] = "cancelling"
        return web.json_response(batch)

    async def _chat(self, request):
        from aiohttp import web

        self.direct += 1
        status, body = await self._forward(await request.json())
        return web.json_response(body, status=status)

    async def _forward(self, body: dict) -> tuple[int, dict]:
        if self.upstream is None:  # no model behind it (unit tests): a canned answer naming the seed
            return 200, {"choices": [{"message": {"role": "assistant", "content": f"echo {body.get('seed')}"}, "finish_reason": "stop"}],
                         "usage": {"prompt_tokens": 5, "completion_tokens": 2}}
        async with self._session.post(self.upstream + "/chat/completions", json=body) as r:
            try:
                return r.status, await r.json(content_type=None)
            except ValueError:
                return r.status, {"error": {"message": (await r.text())[:300]}}

    async def _process(self, k: int, batch: dict, lines: list[dict]) -> None:
        await asyncio.sleep(self.validating_s)
        if k in self.refuse:
            batch.update(status="failed", errors={"object": "list", "data": [
                {"code": "invalid_request", "message": "injected validation failure", "line": 1}]})
            return
        batch["status"] = "in_progress"
        while self.hold is not None and not self.hold.is_set():
            await asyncio.sleep(0.05)
        limit = self.expire_after.get(k, len(lines))
        out, err = {}, {}
        gate = asyncio.Semaphore(self.concurrency)

        async def run(i: int, line: dict) -> None:
            cid = line["custom_id"]
            async with gate:
                if batch["status"] == "cancelling":
                    err[i] = {"id": f"req_{i}", "custom_id": cid, "response": None,
                              "error": {"code": "batch_cancelled", "message": "cancelled"}}
                    return
                status = self.fail(cid)
                body = {"error": {"message": "injected line failure", "type": "server_error"}} if status else None
                if not status:
                    status, body = await self._forward(line["body"])
            entry = {"id": f"req_{i}", "custom_id": cid, "response": {"status_code": status, "request_id": f"r{i}", "body": body},
                     "error": None}
            (out if status == 200 else err)[i] = entry
            batch["request_counts"]["completed" if status == 200 else "failed"] += 1

        await asyncio.gather(*(run(i, line) for i, line in enumerate(lines[:limit])))
        for i, line in enumerate(lines[limit:], start=limit):
            err[i] = {"id": f"req_{i}", "custom_id": line["custom_id"], "response": None,
                      "error": {"code": "batch_expired", "message": "This request could not be executed before the "
                                                                    "completion window expired."}}
        dump = lambda d: "".join(json.dumps(d[i]) + "\n" for i in sorted(d)).encode()  # noqa: E731
        if out:
            batch["output_file_id"] = self._new_file(dump(out))
        if err:
            batch["error_file_id"] = self._new_file(dump(err))
        cancelled = batch["status"] == "cancelling"
        batch.update(status="cancelled" if cancelled else "expired" if limit < len(lines) else "completed",
                     completed_at=int(time.time()))
