"""The bundled sample bucket (see README.md); its generator, tools/sample_data, is not shipped."""
