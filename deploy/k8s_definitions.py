"""The code location for Kubernetes: the project's definitions, every step in its own pod.

The K8sRunLauncher (Helm values) already runs each run in its own Job, so the sensor's per-partition
ingest runs fan out across pods. ``k8s_job_executor`` goes one step further: inside a run, each step
(``raw/<family>``, ``processed/<family>``, ``curated/<family>``, dedup, release) gets a pod of its
own, sized by the ``dagster-k8s/config`` tag. The product's ``definitions.py`` stays
environment-free; this file only swaps the executor, so the asset graph is the same everywhere.

Loaded by the code server in the Helm chart: ``dagster code-server start -f
/opt/pixel_platform/deploy/k8s_definitions.py`` (needs ``pip install '.[k8s]'``).
"""

from __future__ import annotations

import dagster as dg
from dagster_k8s import k8s_job_executor

from pixel_platform.defs.definitions import defs as base_defs

# Bounded fan-out: at most this many step pods per run at once (the cluster's quota decides the
# rest). Runs themselves are bounded by the run queue (maxConcurrentRuns in the Helm values).
EXECUTOR_CONFIG = {"max_concurrent": 16}

defs = dg.Definitions.merge(
    base_defs, dg.Definitions(executor=k8s_job_executor.configured(EXECUTOR_CONFIG))
)
