"""``neuronal playground``: the page in the browser, served on 127.0.0.1 (see ``playground``)."""

from __future__ import annotations

import argparse


def cmd_playground(args) -> int:
    from ..playground.limits import Limits

    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise SystemExit(
            f"neuronal: error: the playground needs its web stack ({exc.name} is missing): "
            f'pip install "neuronal[playground]"') from None
    from ..playground.server import bind, serve

    limits = Limits(max_sessions=args.max_sessions)
    sock = bind(args.port)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    print(f"neuronal playground: {url}  (Ctrl-C stops it)", flush=True)

    def opened() -> None:
        if args.open:
            import webbrowser

            webbrowser.open(url)

    try:
        serve(sock, limits=limits, data_dir=args.data_dir, on_started=opened)
    except KeyboardInterrupt:  # uvicorn passes the interrupt on after shutting down cleanly
        pass
    print("neuronal playground: stopped", flush=True)
    return 0


def _sessions(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"expected 1 to 1000 open pages, got {text!r}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port 0-65535 (0: any free one), got "
                                         f"{text!r}")
    return value


def add_parser(sub) -> None:
    """Register ``playground`` on the subcommand parsers ``sub``."""
    p = sub.add_parser(
        "playground", help="train networks live in the browser (local web server)",
        description="Serve the playground page on 127.0.0.1 and print its URL. Needs "
                    'pip install "neuronal[playground]".')
    p.add_argument("--port", type=_port, default=0,
                   help="port to listen on (default: any free port)")
    p.add_argument("--open", action="store_true", help="open the page in the web browser")
    p.add_argument("--max-sessions", type=_sessions, default=16,
                   help="pages (tabs) open at once (default 16)")
    p.add_argument("--data-dir", default=None,
                   help="folder holding mnist/ (default: $NEURONAL_DATA, then the user cache)")
    p.set_defaults(func=cmd_playground)
