"""The generator of the bundled sample bucket (``python -m tools.sample_data.build_sample``).

Its output, ``pixel_platform/sample_data/`` (``bucket/``, ``README.md``, ``sample_manifest.json``),
ships in the package; this generator does not.
"""
