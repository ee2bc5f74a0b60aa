"""The bundled sample bucket and its generator (see README.md)."""
