"""An aiohttp application served on a free localhost port, for the test servers that stand in
for a remote service (a fault-injecting proxy, a scripted judge, the Batch API)."""

from __future__ import annotations


async def start_app(app, **runner_options) -> tuple[object, int]:
    """(runner, port) of `app` listening on 127.0.0.1; `await runner.cleanup()` stops it."""
    from aiohttp import web

    runner = web.AppRunner(app, **runner_options)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]
