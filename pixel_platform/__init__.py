"""pixel_platform: versioned, gated training releases for mental-health conversation models.

The core (``core``, ``storage``, ``ingest``, ``registry``, ``sync``) is plain Python and imports no
Dagster; ``defs`` is the Dagster shell and ``cli`` the command line, both thin layers over the core.
"""

__version__ = "0.1.0"

# Bumped whenever a change to conversion, cleaning or hashing can change output bytes; it is written
# into every record's provenance so a release says which code produced it.
PIPELINE_VERSION = "2026.11.1"
