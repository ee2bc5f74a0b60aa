"""Reason codes: why a record (or an unreadable part of a file) went to quarantine.

They are stable strings: stats, quarantine files and gate reports key on them.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    # Reading: the bytes could not be turned into a raw record.
    EMPTY_FILE = "empty_file"
    BINARY_CONTENT = "binary_content"
    DECODE_ERROR = "decode_error"
    INVALID_JSON = "invalid_json"
    TRUNCATED_JSON = "truncated_json"
    TRUNCATED_GZIP = "truncated_gzip"
    CSV_MALFORMED = "csv_malformed"
    # Past a size limit: bytes per record on read, turns or characters per record on convert.
    RECORD_TOO_LARGE = "record_too_large"
    TOO_DEEP = "too_deep"  # JSON nested deeper than the reader's depth limit
    DUPLICATE_KEY = "duplicate_key"  # a JSON object names one key twice: which value is meant?
    CSV_HEADER_UNKNOWN = "csv_header_unknown"  # no header cell names a field the family reads
    UNSUPPORTED_FILE_TYPE = "unsupported_file_type"
    # The object store cannot serve the key as it was listed: a symbolic link in a local bucket,
    # an S3 key with an empty, "." or ".." segment.
    UNREADABLE_KEY = "unreadable_key"
    READ_ERROR = "read_error"  # a reader failed on the object; the rest of it is not read
    # Converting: a raw record has no recognisable conversation in it.
    UNKNOWN_FORMAT = "unknown_format"
    EMPTY_RECORD = "empty_record"
    WRONG_FIELD_TYPE = "wrong_field_type"
    NULL_CONTENT = "null_content"
    UNKNOWN_ROLE = "unknown_role"
    MISSING_FIELD = "missing_field"  # a turn without a role or content field
    # A ParlAI episode whose utterances disagree (a history that is not a prefix of the last one,
    # or a true reply that is not the next turn): one dialogue cannot be rebuilt from it.
    INCONSISTENT_EPISODE = "inconsistent_episode"
    # A post nobody answered (text without speaker labels or reply) in a source that has no
    # ``posts`` route: it never becomes a made-up dialogue; route it to text or crisis_eval.
    UNPAIRED_POST = "unpaired_post"
    # Validating: a converted conversation is not fit for training.
    EMPTY_TURN = "empty_turn"
    NO_USER_TURN = "no_user_turn"
    NO_ASSISTANT_TURN = "no_assistant_turn"
    NON_ALTERNATING = "non_alternating"
    TOO_FEW_TURNS = "too_few_turns"
    TURN_TOO_LONG = "turn_too_long"
    # Deduplicating: the record's cluster keeps another record (the dedup log names it).
    DUPLICATE_EXACT = "duplicate_exact"
    DUPLICATE_NEAR = "duplicate_near"
    # Scoring quality: the conversation scored below the quality threshold.
    LOW_QUALITY = "low_quality"
    # Releasing: routing keeps a record out of the release (deny by default); the release's
    # reports/release_quarantine.jsonl lists each with uid and content_hash.
    LICENSE_MISSING = "license_missing"  # no licence, or one the registry does not define
    LICENSE_NONCOMMERCIAL = "license_noncommercial"  # non-commercial licence, commercial build
    CRISIS_RESPONSE_UNSAFE = "crisis_response_unsafe"  # kept out of SFT (future: preference pairs)
    PII_REQUIRES_REVIEW = "pii_requires_review"
    REVIEW_REJECTED = "review_rejected"  # a reviewer rejected the record (review log)
    PII_STATUS_MISSING = "pii_status_missing"  # never went through PII redaction
    PROVENANCE_INCOMPLETE = "provenance_incomplete"  # a required provenance field is missing
    FAMILY_UNKNOWN = "family_unknown"  # provenance names a family the registry does not have
