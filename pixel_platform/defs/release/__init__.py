"""Release domain: the versioned, gated training release and its eleven blocking checks."""
