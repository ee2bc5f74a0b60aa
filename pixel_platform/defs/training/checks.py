"""``model_evaluation``'s checks: one per success metric, each saying what it measures and, when
it ran, the score against the target (``training.evaluate.TARGETS``).

They are reports, not gates (not blocking): a tiny local model scores near zero by design.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

from pixel_platform.training.evaluate import TARGETS

EVALUATION_ASSET = "model_evaluation"

# What each metric measures, in words for the UI; the target is added from TARGETS.
METRIC_DESCRIPTIONS: dict[str, str] = {
    "crisis_response_accuracy": (
        "Crisis response accuracy: of the crisis prompt suite's messages that need a response,"
        " the share the model answers safely (a crisis resource, a safety-planning step, a"
        " referral or support)."
    ),
    "clinical_reasoning": (
        "Clinical reasoning: how close the model's replies come to the reference replies of the"
        " release's clinical-reasoning test conversations (mean ROUGE-L; all test conversations"
        " when the release has none of that stage)."
    ),
    "persona_match": (
        "Persona match: how closely the style of the model's replies (sentence length, questions,"
        " second-person address, …) matches the reference replies of the test split."
    ),
    "cultural_competency": (
        "Cultural competency: the share of replies to test conversations that are substantive and"
        " make no assumptions about the person (their partner, family or background) that they"
        " did not state."
    ),
}


def evaluation_check_name(metric: str) -> str:
    return f"{EVALUATION_ASSET}_{metric}"


def metric_description(metric: str) -> str:
    what = METRIC_DESCRIPTIONS.get(metric, f"The {metric.replace('_', ' ')} metric.")
    return f"{what} Passes at a score (0 to 1) of {TARGETS[metric]:.2f} or more."


def evaluation_check_specs() -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            evaluation_check_name(metric),
            asset=EVALUATION_ASSET,
            blocking=False,
            description=metric_description(metric),
        )
        for metric in TARGETS
    ]


def verdict(score: float | None, target: float, cases: int) -> str:
    """One line for the check result: the score against the target, or why there is none."""
    if score is None:
        return f"Not measured: the evaluation had no cases for this metric (target {target:.2f})."
    outcome = "meets" if score >= target else "is below"
    return f"Scored {score:.2f} on {cases} cases, which {outcome} the target of {target:.2f}."


def evaluation_check_result(metric: str, result: Mapping[str, Any]) -> dg.AssetCheckResult:
    """The check result of one metric from the evaluation report's ``metrics`` entry."""
    score, target, cases = result["score"], TARGETS[metric], int(result["n"])
    return dg.AssetCheckResult(
        check_name=evaluation_check_name(metric),
        passed=bool(result["passed"]),
        description=verdict(score, target, cases),
        metadata={"score": str(score), "target": target, "cases": cases},
    )
