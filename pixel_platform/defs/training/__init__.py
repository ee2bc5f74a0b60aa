"""Training domain: the training job asset (OVH AI Training or local) and the evaluation asset."""
