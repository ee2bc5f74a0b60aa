"""Release domain: the versioned, gated training release and its ten blocking checks."""
