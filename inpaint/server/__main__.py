"""``python -m inpaint.server``: run the local ModelsLab-compatible server.

Prints the base URL to give a client (``MODELSLAB_BASE_URL``); never the keys.
Keys can also come from the ``INPAINT_SERVER_KEYS`` environment variable
(comma-separated), which keeps them out of the process list.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from .config import DEFAULT_ENGINE, ENGINES, ServerConfig
from .runner import serve_in_background


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m inpaint.server",
        description="Local ModelsLab-compatible inpainting server (classical PatchMatch fill; "
        "the prompt does not steer it).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7861, help="port (default 7861; 0 = any free)")
    parser.add_argument(
        "--keys",
        default=None,
        help="comma-separated accepted API keys (default: $INPAINT_SERVER_KEYS, "
        "else any non-empty key)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="simulated seconds added to every job (default 0)",
    )
    parser.add_argument(
        "--queue-limit",
        type=int,
        default=5,
        help="jobs one key may have queued or running (default 5)",
    )
    parser.add_argument(
        "--sync-threshold",
        type=float,
        default=3.0,
        help="seconds to wait before answering 'processing' (default 3)",
    )
    parser.add_argument("--workers", type=int, default=2, help="jobs generated at once (default 2)")
    parser.add_argument(
        "--storage-dir",
        default=None,
        help="keep outputs and uploads here (default: a temporary directory)",
    )
    parser.add_argument(
        "--eta-factor",
        type=float,
        default=1.0,
        help="benchmark aid: report every eta times this factor "
        "(0.5 = underestimate by half; default 1)",
    )
    parser.add_argument(
        "--fail-marker", default=None, help="test aid: jobs whose prompt contains this text fail"
    )
    parser.add_argument(
        "--engine",
        default=DEFAULT_ENGINE,
        choices=ENGINES,
        help="patchmatch (default) or quick: OpenCV Telea, a smooth fill in milliseconds "
        "for tests and CI (no texture, no seed)",
    )
    parser.add_argument(
        "--allow-private-fetch",
        action="store_true",
        help="test aid: let image URLs and webhooks reach loopback/private addresses "
        "(refused by default; the server's own file URLs always work)",
    )
    parser.add_argument(
        "--gate",
        action="store_true",
        help="test aid: every job waits until POST /test/gate/release lets it through",
    )
    parser.add_argument(
        "--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"]
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    raw_keys = args.keys if args.keys is not None else os.environ.get("INPAINT_SERVER_KEYS", "")
    try:
        config = ServerConfig(
            keys=frozenset(k for k in raw_keys.split(",") if k.strip()),
            latency=args.latency,
            queue_limit=args.queue_limit,
            sync_threshold=args.sync_threshold,
            workers=args.workers,
            storage_dir=args.storage_dir,
            fail_marker=args.fail_marker,
            eta_factor=args.eta_factor,
            engine=args.engine,
            allow_private_fetch=args.allow_private_fetch,
            gate_jobs=args.gate,
        )
    except (TypeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not config.keys and not _is_loopback(args.host):
        print(
            f"error: --host {args.host} lets other machines in: give the accepted keys "
            "(--keys or INPAINT_SERVER_KEYS)",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    try:
        server = serve_in_background(
            config, host=args.host, port=args.port, log_level=args.log_level
        )
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    keys = f"{len(config.keys)} configured key(s)" if config.keys else "any non-empty key"
    print(
        f"Local ModelsLab-compatible server: {server.base_url}  (accepts {keys}; Ctrl+C to stop)",
        flush=True,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _is_loopback(host: str) -> bool:
    """Any key is accepted only where nobody else can connect."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


if __name__ == "__main__":
    sys.exit(main())
