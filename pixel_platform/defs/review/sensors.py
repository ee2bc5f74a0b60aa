"""``review_decisions_sensor``: runs the pull when Label Studio has annotations it has not seen.

The cursor is a digest of every annotation's id and last update in the review projects; a change
(a new, updated or deleted annotation) requests ``review_pull_job``. Without a configured tool
it skips.
"""


import hashlib
import json

import dagster as dg

from pixel_platform.defs.environment import automation_sensor_status
from pixel_platform.defs.review.assets import review_pull_job
from pixel_platform.defs.review.resources import ReviewToolResource
from pixel_platform.review.items import LABEL_CONFIGS, project_title

SENSOR_INTERVAL_S = 300


@dg.sensor(
    job=review_pull_job,
    minimum_interval_seconds=SENSOR_INTERVAL_S,
    default_status=automation_sensor_status(),
    description="Pulls review decisions when Label Studio has new or changed annotations.",
)
def review_decisions_sensor(
    context: dg.SensorEvaluationContext, review_tool: ReviewToolResource
) -> dg.SensorResult | dg.SkipReason:
    if not review_tool.configured:
        return dg.SkipReason("no review tool configured (LABEL_STUDIO_URL, LABEL_STUDIO_API_KEY)")
    client = review_tool.client()
    seen = []
    namespace = review_tool.settings().namespace
    for task in sorted(LABEL_CONFIGS):
        project = client.project_id(project_title(task, namespace), LABEL_CONFIGS[task])
        seen += sorted((a.id, a.updated_at) for t in client.tasks(project) for a in t.annotations)
    cursor = hashlib.sha256(json.dumps(seen).encode()).hexdigest()[:32]
    if cursor == context.cursor:
        return dg.SkipReason("no new annotations")
    if not seen and context.cursor is None:
        return dg.SkipReason("no annotations yet")
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=cursor)], cursor=cursor)
