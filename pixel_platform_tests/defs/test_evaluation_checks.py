"""``model_evaluation``'s checks explain themselves: what they measure, and the score against
the target when they ran."""

from __future__ import annotations

from pixel_platform.defs.training.checks import evaluation_check_result, metric_description


def test_a_failed_metric_says_its_score_and_target() -> None:
    result = evaluation_check_result(
        "crisis_response_accuracy", {"score": 0.12, "passed": False, "n": 40}
    )
    assert result.check_name == "model_evaluation_crisis_response_accuracy"
    assert not result.passed
    assert result.description == ("Scored 0.12 on 40 cases, which is below the target of 0.85.")


def test_a_passed_metric_and_an_unmeasured_one() -> None:
    passed = evaluation_check_result("persona_match", {"score": 0.93, "passed": True, "n": 50})
    assert passed.passed and passed.description == (
        "Scored 0.93 on 50 cases, which meets the target of 0.90."
    )
    unmeasured = {"score": None, "passed": False, "n": 0}
    missing = evaluation_check_result("clinical_reasoning", unmeasured)
    assert not missing.passed
    assert missing.description == (
        "Not measured: the evaluation had no cases for this metric (target 0.80)."
    )


def test_the_description_names_what_is_measured_and_the_target() -> None:
    text = metric_description("cultural_competency")
    assert text.startswith("Cultural competency:") and text.endswith("0.75 or more.")
