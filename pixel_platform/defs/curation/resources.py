"""The curation config as a resource (``PIXEL_CURATION_CONFIG`` or the bundled curation.yaml)."""

from __future__ import annotations

import dagster as dg
from pydantic import PrivateAttr

from pixel_platform.curation.config import CurationConfig


class CurationConfigResource(dg.ConfigurableResource):
    path: str | None = None

    _config: CurationConfig | None = PrivateAttr(default=None)

    def load(self) -> CurationConfig:
        if self._config is None:
            self._config = CurationConfig.load(self.path)
        return self._config
