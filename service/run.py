"""`hoidap serve`: the HTTP API alone (in one or more processes), or with the Telegram bot
in the same process.

With `--bot` the bot runs in the main thread exactly as `hoidap bot` runs it (signals,
graceful stop), and the API's server runs in a thread beside it over the same loaded
Engine, so the index is loaded once and both answer from it.
"""

import argparse
import contextlib
import ipaddress
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator

from bot.config import ApiSettings, Settings, SettingsError, load_settings
from retrieval import Engine
from service.shared_limits import SharedLimiter

logger = logging.getLogger("service")

# Long enough for a 10,000-character Vietnamese question in a URL (up to 9 bytes a
# character percent-encoded), so it gets a problem document rather than a bare 400.
MAX_REQUEST_LINE = 128 * 1024


class ServeError(Exception):
    """The server cannot start; the message is one line for the administrator."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name may resolve to anything


def check_keys(settings: ApiSettings) -> None:
    if not settings.api_keys and not is_loopback(settings.api_host):
        raise ServeError(
            f"HOIDAP_API_KEYS must be set to listen on {settings.api_host} "
            "(not a loopback address): give one or more keys of 16+ characters"
        )


def listen(host: str, port: int, workers: bool = False) -> socket.socket:
    """The listening socket, bound before the index is loaded so a taken port fails fast.
    For `workers`, the port is only held: each worker listens on a socket of its own."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if workers:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        if not workers:
            # Listening now queues early clients until the server accepts, not refuses.
            sock.listen(2048)
    except OSError as error:
        raise ServeError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    return sock


def _worker_socket(held: socket.socket) -> socket.socket:
    # One listening socket per worker on the same port (SO_REUSEPORT): the kernel spreads
    # new connections over them. With one shared socket, the worker that wins the first
    # accepts would keep every long-lived keep-alive connection of a proxy.
    own = socket.socket(held.family, socket.SOCK_STREAM)
    own.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    own.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    own.bind(held.getsockname()[:2])
    own.listen(2048)
    held.close()
    return own


def _wait_until_accepting(address: tuple[str, int], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(address, timeout=1):
            return
        time.sleep(0.05)


def configure_logging(level: str, secrets: list[str]) -> None:
    """Log to stderr as the bot does, with every key and token replaced if one ever shows."""
    from bot.app import RedactingFormatter, hide_in_logs

    for secret in secrets:
        hide_in_logs(secret)
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)


def make_server(  # type: ignore[no-untyped-def]
    engine: Engine, settings: ApiSettings, limiter: SharedLimiter | None = None
):
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # uvicorn re-raises SIGTERM after its graceful stop, so the process would die
            # of the signal; a stop the administrator asked for exits with status 0.
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            stops = (signal.SIGINT, signal.SIGTERM)
            previous = {sig: signal.signal(sig, self.handle_exit) for sig in stops}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    from service.app import create_app

    config = uvicorn.Config(
        create_app(engine, settings, limiter=limiter),
        log_config=None,
        # uvicorn's access log prints query strings, and questions travel in them.
        access_log=False,
        lifespan="off",
        server_header=False,
        h11_max_incomplete_event_size=MAX_REQUEST_LINE,
        timeout_graceful_shutdown=10,
    )
    # Whatever handlers someone attaches to it later (pytest's log capture does), this
    # logger stays silent: its lines carry query strings.
    logging.getLogger("uvicorn.access").disabled = True
    return Server(config)


def start_in_thread(server, sock: socket.socket) -> threading.Thread:  # type: ignore[no-untyped-def]
    """Run `server` on `sock` in a thread (beside the bot, or in tests) until
    `server.should_exit` is set; returns once it accepts connections."""
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="hoidap-api", daemon=True
    )
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.01)
    return thread


def run_workers(engine: Engine, settings: ApiSettings, sock: socket.socket) -> int:
    """`settings.api_workers` processes forked once the index is loaded, listening on one
    port. Python answers on one core per process; the forked processes share the
    index's memory maps, so each costs only its own ~100 MB. Stops them all on SIGTERM or
    SIGINT, or when one of them dies.

    What must hold across workers is shared: the per-key rate limits (one SharedLimiter
    in memory mapped before the fork) and the metrics (prometheus-client's multiprocess
    mode, in a folder made here and removed at the end, unless PROMETHEUS_MULTIPROC_DIR
    names one already)."""
    made = None
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        made = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="hoidap-metrics-")
    try:
        return _fork_workers(engine, settings, sock)
    finally:
        if made:
            shutil.rmtree(made, ignore_errors=True)
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]


def _fork_workers(engine: Engine, settings: ApiSettings, sock: socket.socket) -> int:
    limiter = SharedLimiter(settings.api_requests_per_window, settings.api_window_seconds)
    children: set[int] = set()
    for _ in range(settings.api_workers):
        pid = os.fork()
        if pid == 0:  # the worker: its own event loop and threads from here on
            code = 1
            try:
                from prometheus_client import values

                # Chosen when prometheus_client was imported, maybe before the folder was set.
                values.ValueClass = values.MultiProcessValue()
                make_server(engine, settings, limiter).run(sockets=[_worker_socket(sock)])
                code = 0
            finally:
                os._exit(code)
        children.add(pid)
    _wait_until_accepting(sock.getsockname()[:2])
    host, port = sock.getsockname()[:2]
    logger.info("API and page on http://%s:%s/ (OpenAPI: /docs)", host, port)

    def stop(*_: object) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    status = 0
    while children:
        pid, wait_status = os.wait()
        children.discard(pid)
        if os.waitstatus_to_exitcode(wait_status) != 0:
            logger.error(
                "API worker %d exited with status %d; stopping the others",
                pid,
                os.waitstatus_to_exitcode(wait_status),
            )
            status = 1
            stop()
    return status


def serve(args: argparse.Namespace) -> int:
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        print(
            "hoidap: error: the HTTP API needs its extra: pip install 'hoidap[api]'",
            file=sys.stderr,
        )
        return 2
    overrides = {"corpus": args.corpus, "index": args.index}
    overrides |= {"api_host": args.host, "api_port": args.port}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    try:
        settings = load_settings(ApiSettings, **overrides)
        bot_settings: Settings | None = (
            load_settings(
                Settings, **{k: overrides[k] for k in ("corpus", "index") if k in overrides}
            )
            if args.bot
            else None
        )
        check_keys(settings)
    except (SettingsError, ServeError) as error:
        print(f"hoidap: error: {error}", file=sys.stderr)
        return 2
    hidden = [key.get_secret_value() for key in settings.api_keys]
    if bot_settings is not None:
        hidden.append(bot_settings.telegram_bot_token.get_secret_value())
        if bot_settings.webhook_secret:
            hidden.append(bot_settings.webhook_secret.get_secret_value())
    try:
        workers = bot_settings is None and settings.api_workers > 1
        sock = listen(settings.api_host, settings.api_port, workers)
    except ServeError as error:
        print(f"hoidap: error: {error}", file=sys.stderr)
        return 1
    configure_logging(settings.log_level, hidden)
    engine = Engine.open(settings.corpus, settings.index)
    if workers:
        return run_workers(engine, settings, sock)
    host, port = sock.getsockname()[:2]
    logger.info("API and page on http://%s:%s/ (OpenAPI: /docs)", host, port)
    server = make_server(engine, settings)
    if bot_settings is None:
        server.run(sockets=[sock])
        return 0
    if settings.api_workers > 1:
        logger.warning("HOIDAP_API_WORKERS is ignored with --bot: one process serves both")

    from bot.app import serve as serve_bot

    thread = start_in_thread(server, sock)
    try:
        return serve_bot(bot_settings, engine)
    finally:
        server.should_exit = True
        thread.join(15)
