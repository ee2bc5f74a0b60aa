"""Curation domain: per-partition quality/crisis/PII curation and global deduplication."""
