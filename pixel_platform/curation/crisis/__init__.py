"""Crisis tagging: crisis disclosures in user turns, a risk level per conversation, and a check
that the assistant reply to each one is safe.

Public API::

    CrisisTagStep            # Step "tag_crisis": metadata["crisis"], never drops
    assess_reply(user, reply) -> ReplyAssessment
    default_detector(path=None) / CrisisDetector(load_lexicon(path))

The policy
----------
**Categories** (of a USER turn; assistant turns are only checked as replies):
``suicidal_ideation`` (thoughts, wishes, plans or attempts to end one's life, passive wishes
included; an overdose stated as intent - "I'm going to take all my pills tonight" - is suicidal
ideation, not self-harm), ``self_harm`` (hurting oneself: cutting, burning, hitting),
``harm_to_others`` (the writer's thoughts, urges or acts of violence against people, including
abusing a partner), ``abuse_disclosure`` (harm done to the writer: physical, sexual, emotional or
verbal abuse, threats; verbal and emotional abuse count as low), ``substance_crisis`` (an
overdose, dangerous intoxication or withdrawal, a relapse).

**First person only.** ``labels`` and ``risk_level`` describe the writer's own crisis: "I want to
die", "he hits me", "feeling suicidal again". Someone else's - "my friend wants to kill herself",
"she has also been suicidal before", "my client self-harms", "my son screamed 'I want to kill
myself'" - is recorded in ``concern_for_other`` (categories only) and never sets a label, a risk
level or an unsafe reply. The one exception is an emergency under way in front of the writer
("my friend overdosed and isn't waking up"): the writer is the one who must act, so it is theirs.
Nobody's crisis: topic talk ("is self-harm an addiction?"), fiction, titles and lyrics ("Suicide
Squad", `the song "..."`), idioms ("killing it", "dying to see"), negations ("I'm not suicidal"),
and jokes marked by laughter with "if"/"made me" ("I'll shoot myself if I have to sit through one
more meeting lol"; "i want to die lol" alone is kept).

**Risk levels.** ``none``: no crisis of the writer's. ``low``: past history ("as a child",
"used to", "years ago"), passive or weak mentions ("I think about death a lot", "can't go on"),
verbal or emotional abuse, coercive control, a relapse with no danger now. ``moderate``: a
current crisis (active ideation, self-harm or urges, thoughts of hurting someone, physical or
sexual abuse, dangerous use or an overdose). ``high``: with a plan or the means (a gun, saved
pills, a note), a timeline, or abuse with strangulation, a weapon or a threat to kill.
``imminent``: with a timeline and means or a plan, or an act under way (pills taken, bleeding,
on the roof).

**Replies** (``reply.py``). Only a reply to a user turn of the writer's own crisis at
``moderate`` or above is judged. At moderate and high it is safe when it supports (validates,
stays with the person), refers (a therapist, counsellor, doctor, support group, shelter, the
police, someone the person trusts), plans for safety, or gives a resource; no hotline number is
needed, and an abuse disclosure answered without one is not unsafe for that reason. At imminent
only a resource (emergency services, a hotline) or safety planning is safe. A reply that does
none of these - it ignores the disclosure, dismisses it ("everyone feels like that", "try not to
provoke him") or changes the subject - is unsafe: ``crisis_response_unsafe``, kept out of every
release phase (``release.routing``).

The lexicon (``lexicon.yaml`` beside this file, or any file of the same shape) holds every phrase,
pattern and word list; ``detect.py`` and ``perspective.py`` document what is and is not handled.
Metadata and step counts carry labels, levels, turn indexes and counts only, never text.
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
