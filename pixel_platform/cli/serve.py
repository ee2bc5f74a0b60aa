"""``pixel-platform serve``: the OpenAI-compatible service over a trained checkpoint.

- ``serve start --model DIR`` (transformers; the embedded default), ``--current`` (what
  ``served_model`` deployed) or ``--upstream URL --model-name NAME`` (an OpenAI-compatible server
  such as vLLM) on ``--host``/``--port``
  (127.0.0.1:8000), keys from ``PIXEL_SERVE_API_KEYS`` (``name:sha256`` entries);
- ``serve keygen NAME``: a new key (printed once) and the entry to add to
  ``PIXEL_SERVE_API_KEYS``.
"""

from __future__ import annotations

import argparse
import os

from pixel_platform.core.errors import ConfigError
from pixel_platform.serving.keys import KEYS_ENV, KeyRing, RateLimiter, new_key


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve", help="serve a trained model through an OpenAI-compatible API")
    ssub = p.add_subparsers(dest="serve_command", required=True)
    s = ssub.add_parser("start", help="run the service (keys from $PIXEL_SERVE_API_KEYS)")
    where = s.add_mutually_exclusive_group(required=True)
    where.add_argument("--model", help="a trained model directory (transformers)")
    where.add_argument("--upstream", help="an OpenAI-compatible server's URL, e.g. vLLM")
    where.add_argument(
        "--current",
        action="store_true",
        help="the model served_model deployed (serving/current.json in the bucket; local only)",
    )
    s.add_argument(
        "--storage-root", default=None, help="bucket root (local backend), for --current"
    )
    s.add_argument("--model-name", default=None, help="the model's name in the API")
    s.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    s.add_argument("--port", type=int, default=8000, help="port to listen on")
    s.add_argument("--rate-per-minute", type=float, default=60.0, help="requests a key may make")
    s.add_argument("--burst", type=int, default=10, help="requests a key may make at once")
    s.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        help="an origin browsers may call from (repeatable); none: CORS closed",
    )
    s.set_defaults(func=start_command)
    k = ssub.add_parser("keygen", help="print a new API key and its PIXEL_SERVE_API_KEYS entry")
    k.add_argument("name", help="who the key is for (shown in logs and limits)")
    k.set_defaults(func=keygen_command)


def keygen_command(args: argparse.Namespace) -> int:
    key, entry = new_key(args.name)
    print(f"key (give it to {args.name}; it is not stored): {key}")
    print(f"add to {KEYS_ENV}: {entry}")
    return 0


def start_command(args: argparse.Namespace) -> int:
    import uvicorn

    from pixel_platform.serving.app import ServiceSettings, create_app
    from pixel_platform.serving.backends import Backend, TransformersBackend, UpstreamBackend

    keys = KeyRing.parse(os.environ.get(KEYS_ENV, ""))
    backend: Backend
    if args.upstream:
        if not args.model_name:
            raise ConfigError("--upstream needs --model-name (the model the upstream serves)")
        backend = UpstreamBackend(
            args.upstream, args.model_name, api_key=os.environ.get("PIXEL_SERVE_UPSTREAM_KEY", "")
        )
    elif args.current:
        from pixel_platform.cli.common import storage_settings
        from pixel_platform.serving.deploy import current
        from pixel_platform.storage.factory import open_store

        deployed = current(open_store(storage_settings(args.storage_root)))
        if deployed.get("backend") != "local":
            raise ConfigError(
                f"the current deployment runs on {deployed.get('backend')}: serve it with"
                " --upstream (its app's URL) instead of --current"
            )
        name = args.model_name or f"pixel-{deployed['release']}"
        backend = TransformersBackend(deployed["model"], model_name=name)
    else:
        backend = TransformersBackend(args.model, model_name=args.model_name)
    settings = ServiceSettings(
        keys=keys,
        limiter=RateLimiter(per_minute=args.rate_per_minute, burst=args.burst),
        cors_origins=tuple(args.cors_origin),
    )
    # access_log off: uvicorn's lines carry nothing sensitive, but the service logs each
    # request itself (id, key name, status, tokens, latency).
    uvicorn.run(create_app(backend, settings), host=args.host, port=args.port, access_log=False)
    return 0
