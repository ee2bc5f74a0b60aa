"""Training on the latest release, then evaluating the model, as one job."""

import dagster as dg

from pixel_platform.defs.training.assets import model_evaluation, trained_model

TRAINING_JOB = "training_job"

training_job = dg.define_asset_job(
    TRAINING_JOB,
    selection=dg.AssetSelection.assets(trained_model, model_evaluation),
    description="Train on the latest release (SFT, then the configured alignment), then evaluate.",
)
