"""``review_tasks`` and ``review_decisions``: the human review queue, on Label Studio.

``review_tasks`` pushes what needs a person from the deduplicated partitions the release reads
(records whose PII a person must confirm, unsafe crisis replies, a sample of generated records)
into the tool; ``review_decisions`` pulls finished tasks into the review log
(``review/decisions/`` in the bucket), which the next ``dataset_release`` applies. The sensor
``review_decisions_sensor`` runs the pull when the tool has new annotations. Metadata is counts
per task only. The core is ``pixel_platform.review``.
"""


from typing import Any

import dagster as dg

from pixel_platform.core.errors import ConfigError
from pixel_platform.defs.ingest.metadata import md_table
from pixel_platform.defs.resources import RegistryResource, StorageResource
from pixel_platform.defs.review.resources import KEY_ENV, URL_ENV, ReviewToolResource
from pixel_platform.pipeline.release import release_inputs
from pixel_platform.review.queue import QueueReport, pull, push

REVIEW_GROUP = "review"


def _require(tool: ReviewToolResource) -> None:
    if not tool.configured:
        raise ConfigError(
            f"no review tool configured: set {URL_ENV} and {KEY_ENV} (a personal access token"
            " of a Label Studio user; scripts/label_studio.sh runs one)"
        )


def _metadata(report: QueueReport) -> dict[str, Any]:
    counts = report.as_dict()
    whats = sorted({w for c in counts.values() for w in c})
    rows = [[task, *(str(counts[task].get(w, 0)) for w in whats)] for task in counts]
    return {
        "counts": dg.MetadataValue.json(counts),
        "summary": md_table(["task", *whats], rows),
    }


@dg.asset(
    group_name=REVIEW_GROUP,
    kinds={"labelstudio"},
    deps=["deduplicated_conversations"],
    description=(
        "Review queue: pushes to Label Studio the records a person must decide on — PII spans the"
        " redactor was unsure of (as pre-annotations), unsafe crisis replies (with a suggested"
        " safe reply), a sample of each generated family. Each record is queued once per text."
    ),
)
def review_tasks(
    context: dg.AssetExecutionContext,
    storage: StorageResource,
    registry: RegistryResource,
    review_tool: ReviewToolResource,
) -> dg.MaterializeResult:
    _require(review_tool)
    store = storage.store()
    report = push(
        store,
        registry.load(),
        review_tool.client(),
        release_inputs(store).keys,
        review_tool.settings(),
    )
    context.log.info("review tasks pushed: %s", report.as_dict())
    return dg.MaterializeResult(metadata=_metadata(report))


@dg.asset(
    group_name=REVIEW_GROUP,
    kinds={"labelstudio", "jsonl"},
    description=(
        "Review decisions: finished Label Studio tasks appended to the review log"
        " (review/decisions/). The next release applies them: approved records ship with the"
        " reviewer's redactions or reply, rejected ones stay out (review_rejected)."
    ),
)
def review_decisions(
    context: dg.AssetExecutionContext,
    storage: StorageResource,
    review_tool: ReviewToolResource,
) -> dg.MaterializeResult:
    _require(review_tool)
    report = pull(storage.store(), review_tool.client(), review_tool.settings())
    context.log.info("review decisions pulled: %s", report.as_dict())
    return dg.MaterializeResult(metadata=_metadata(report))


review_push_job = dg.define_asset_job(
    "review_push_job",
    selection=dg.AssetSelection.assets(review_tasks),
    description="Queue what needs a person in Label Studio.",
)
review_pull_job = dg.define_asset_job(
    "review_pull_job",
    selection=dg.AssetSelection.assets(review_decisions),
    description="Append finished review tasks to the review log.",
)
