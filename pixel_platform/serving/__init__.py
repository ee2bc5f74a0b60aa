"""Serving a trained checkpoint: an OpenAI-compatible HTTP API behind a thin service.

- ``backends``: where replies come from — transformers on the CPU (the embedded default) or an
  upstream OpenAI-compatible server (vLLM on GPU machines; ``deploy/serving/``).
- ``keys``: API keys (sha256 digests only) and per-key rate limits.
- ``safety``: the crisis layer — a user turn at high or imminent risk always gets crisis resources
  in the reply.
- ``app``: the Starlette app (``/v1/chat/completions``, ``/v1/models``, ``/health``).

No conversation text reaches a log line, an error message or an event: counts, key names,
latencies and risk levels only.
"""
