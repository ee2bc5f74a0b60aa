"""Crisis tagging: lexicon-based detection of crisis disclosures in user turns, a risk level per
conversation, and a check that the assistant reply to each one offers help.

Public API::

    CrisisTagStep            # Step "tag_crisis": metadata["crisis"], never drops
    assess_reply(user, reply) -> ReplyAssessment
    default_detector(path=None) / CrisisDetector(load_lexicon(path))

The lexicon (``lexicon.yaml`` beside this file, or any file of the same shape) holds every phrase
and pattern; ``detect.py`` documents what is and is not handled.
"""

from pixel_platform.curation.crisis.detect import CrisisDetector, CrisisTag, default_detector
from pixel_platform.curation.crisis.lexicon import (
    CATEGORIES,
    RISK_LEVELS,
    Lexicon,
    default_lexicon_path,
    load_lexicon,
)
from pixel_platform.curation.crisis.reply import ReplyAssessment, assess_reply
from pixel_platform.curation.crisis.step import CrisisTagStep

__all__ = [
    "CATEGORIES",
    "RISK_LEVELS",
    "CrisisDetector",
    "CrisisTag",
    "CrisisTagStep",
    "Lexicon",
    "ReplyAssessment",
    "assess_reply",
    "default_detector",
    "default_lexicon_path",
    "load_lexicon",
]
