"""Presidio recognizers for structured PII, tuned for therapy text and for running offline.

Presidio's own recognizers are reused where they are right (SSN, credit card with Luhn, IP); the
rest are subclassed or added:

* e-mail: the domain check uses a tldextract instance that never downloads the public-suffix
  list (the bundled snapshot is used; no network, no warning);
* phone: python-phonenumbers' "valid number" matcher is precise, so it scores 0.7 instead of
  presidio's 0.4 (which would put every phone number in the uncertain band); fewer regions
  (one pass each over the text); plus phone shapes it rejects, as uncertain, and bare 7-digit
  local numbers next to a context word ("call me at 867-2309");
* URL: drops presidio matches that are sentence typos ("tried.It") or file names ("notes.sh");
* street address: presidio has none; "1234 Elm Street, Springfield", "42 Oak Ave Apt 3", PO boxes;
* person by context: "my sister Priya", "my ex, Jordan", "Dr. Patel", "named Hope". These work
  without a spaCy model and catch names the small model misses.
"""

from __future__ import annotations

import re

import tldextract
from presidio_analyzer import (
    AnalysisExplanation,
    EntityRecognizer,
    LocalRecognizer,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IpRecognizer,
    PhoneRecognizer,
    UrlRecognizer,
    UsSsnRecognizer,
)

# No download, no disk cache: the public-suffix snapshot bundled with tldextract.
OFFLINE_TLD = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)


def make_tldextract_offline() -> None:
    """Point ``tldextract.extract`` (used by presidio's own e-mail recognizer) at the snapshot.

    Process-wide and idempotent: nothing in this process will try to fetch the suffix list.
    """
    import tldextract.tldextract as tx

    tx.TLD_EXTRACTOR = OFFLINE_TLD


class OfflineEmailRecognizer(EmailRecognizer):
    def validate_result(self, pattern_text: str) -> bool:
        return OFFLINE_TLD(pattern_text).fqdn != ""


class ValidPhoneRecognizer(PhoneRecognizer):
    SCORE = 0.7


PHONE_REGIONS = ("US", "GB")  # one matcher pass each; "+CC" numbers of any country match too

COMMON_TLDS = frozenset(
    [
        "com",
        "org",
        "net",
        "edu",
        "gov",
        "mil",
        "int",
        "io",
        "co",
        "us",
        "uk",
        "ca",
        "au",
        "nz",
        "ie",
        "de",
        "fr",
        "es",
        "it",
        "nl",
        "se",
        "no",
        "dk",
        "fi",
        "ch",
        "at",
        "be",
        "pl",
        "br",
        "mx",
        "in",
        "jp",
        "cn",
        "kr",
        "ru",
        "me",
        "ly",
        "tv",
        "info",
        "biz",
        "app",
        "dev",
        "ai",
        "gg",
        "xyz",
        "blog",
        "site",
        "online",
        "store",
        "shop",
        "live",
        "link",
        "page",
        "art",
        "news",
        "life",
        "world",
        "space",
        "tech",
    ]
)
_SCHEME = re.compile(r"(?i)^(?:https?://|www\d{0,3}\.)")


class TherapyUrlRecognizer(UrlRecognizer):
    def invalidate_result(self, pattern_text: str) -> bool:
        if _SCHEME.match(pattern_text):
            return False
        host = re.split(r"[/?#]", pattern_text, maxsplit=1)[0]
        tld = host.rsplit(".", 1)[-1]
        # "tried.It" (a missing space) has a capitalised "TLD"; file names have rare TLDs.
        cased_ok = tld.islower() or host.isupper()
        return not (cased_ok and tld.lower() in COMMON_TLDS)


class _RegexRecognizer(LocalRecognizer):
    """Case-sensitive regexes, each with a score and the group that holds the value."""

    ENTITY = ""
    PATTERNS: tuple[tuple[re.Pattern[str], float, int], ...] = ()
    name: str

    def __init__(self, context: list[str] | None = None) -> None:
        super().__init__(
            supported_entities=[self.ENTITY],
            supported_language="en",
            name=type(self).__name__,
            context=context,
        )

    def load(self) -> None:
        pass

    def keep(self, text: str, start: int, end: int) -> bool:
        return True

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results = []
        for pattern, score, group in self.PATTERNS:
            for m in pattern.finditer(text):
                start, end = m.span(group)
                if start < end and self.keep(text, start, end):
                    results.append(
                        RecognizerResult(
                            self.ENTITY,
                            start,
                            end,
                            score,
                            analysis_explanation=AnalysisExplanation(self.name, score),
                            recognition_metadata={
                                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                            },
                        )
                    )
        return EntityRecognizer.remove_duplicates(results)


_DIR = r"(?:[NSEW]|NE|NW|SE|SW|North|South|East|West)\.?"
_STREET_WORD = r"(?:[A-Z][A-Za-z'’.\-]*|\d{1,3}(?:st|nd|rd|th))"
_SUFFIX = (
    r"(?i:Street|St|Avenue|Ave|Road|Rd|Drive|Dr|Lane|Ln|Boulevard|Blvd|Court|Ct|Way|Place|Pl"
    r"|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Trail|Trl|Square|Sq|Loop|Row|Crescent"
    r"|Close|Alley|Plaza|Pike|Path|Run|Walk)"
)
_UNIT = (
    r"(?:\s*,?\s*(?i:Apt|Apartment|Unit|Suite|Ste|Floor|Fl|Room|Rm)\.?\s*#?\s*[A-Za-z0-9\-]{1,6}"
    r"|\s*#\s?[A-Za-z0-9\-]{1,6})"
)
_CITY = r"(?:\s*,\s*[A-Z][a-z]+(?:[ \-][A-Z][a-z]+){0,2})"
_STATE_ZIP = r"(?:\s*,?\s*[A-Z]{2}(?:\s+\d{5}(?:-\d{4})?)?\b|\s+\d{5}(?:-\d{4})?\b)"
_ADDRESS = re.compile(
    rf"\b\d{{1,6}}(?:-\d{{1,4}})?[A-Za-z]?\s+(?:{_DIR}\s+)?(?:{_STREET_WORD}\s+){{1,4}}{_SUFFIX}\b"
    rf"(?:\s+{_DIR}(?![\w]))?{_UNIT}?(?:{_CITY}{_STATE_ZIP}?)?"
)
_PO_BOX = re.compile(r"(?i)\bP\.?\s?O\.?\s*Box\s+\d{1,6}\b")


class StreetAddressRecognizer(_RegexRecognizer):
    ENTITY = "STREET_ADDRESS"
    PATTERNS = ((_ADDRESS, 0.7, 0), (_PO_BOX, 0.7, 0))

    def __init__(self) -> None:
        super().__init__(context=["live", "address", "street", "moved", "house", "apartment"])


class PhonePatternRecognizer(_RegexRecognizer):
    """Phone shapes python-phonenumbers rejects (unallocated ranges, typos): fail closed.

    10-digit NANP and "+CC ..." international shapes score 0.5 (uncertain: redacted and flagged
    for review) and a context word lifts them to 0.85; bare 7-digit local numbers score 0.3 and
    count only next to a context word ("call me at 867-2309").
    """

    ENTITY = "PHONE_NUMBER"
    PATTERNS = (
        (re.compile(r"(?<![\d\-.])\b\d{3}[-.]\d{4}\b(?![\-.]?\d)"), 0.3, 0),
        (
            re.compile(
                r"(?<![\w\-+])(?:\+?1[\s.\-]?)?\(?\d{3}\)?[\s.\-]?\d{3}[\s.\-]\d{4}(?![\d\-])"
            ),
            0.5,
            0,
        ),
        (re.compile(r"(?<![\w+])\+\d{1,3}(?:[\s.\-]?\(?\d{1,5}\)?){2,5}(?![\d\-])"), 0.5, 0),
    )

    def __init__(self) -> None:
        super().__init__(context=["phone", "number", "call", "text", "cell", "mobile", "reach"])

    def keep(self, text: str, start: int, end: int) -> bool:
        digits = sum(c.isdigit() for c in text[start:end])
        return digits == 7 or 10 <= digits <= 15 or (text[start] == "+" and digits >= 8)


_NAME = r"([A-Z][a-z]*(?:['’\-][A-Z]?[a-z]+)*(?:[ ][A-Z][a-z]*(?:['’\-][A-Z]?[a-z]+)*)?)"
_REL = (
    r"friend|bestie|sister|brother|sibling|cousin|aunt|auntie|uncle|niece|nephew|son|daughter|kid"
    r"|boyfriend|girlfriend|bf|gf|partner|husband|wife|fianc[eé]e?|ex|roommate|housemate|flatmate"
    r"|co-?worker|colleague|boss|manager|supervisor|teacher|professor|coach|therapist|counsell?or"
    r"|psychiatrist|doctor|neighbou?r|classmate|grandma|grandmother|grandpa|grandfather|mom|mum"
    r"|mother|dad|father|step-?mom|step-?dad|stepmother|stepfather|crush|mentor|pastor|sponsor"
)
_RELATION = re.compile(
    r"(?i:\b(?:my|our|his|her|their|your)\s+(?:(?:best|old|older|younger|little|big|new|ex|"
    rf"former|late|dear|twin|step|half)[\s\-]+)*(?:{_REL})s?,?\s+){_NAME}"
)
_TITLE = re.compile(rf"\b(?:Dr|Mr|Mrs|Ms|Mx|Prof|Rev|Pastor|Rabbi|Imam|Coach|Officer)\.?\s+{_NAME}")
_NAMED = re.compile(rf"\b(?i:named|name is|name's|names are)\s+{_NAME}")
# Generic English name contexts: a capitalised word that does something only people do, or is
# the object of such a verb. keep() rejects ordinary words, so "Work said" or "with Mom" is not
# a name.
_PERSON_VERBS = (
    r"said|says|told|tells|asked|asks|texted|texts|called|calls|keeps|kept|moved|left|leaves"
    r"|thinks|thought|wants|wanted|yelled|screams|screamed|cheated|died|passed away|loves|loved"
    r"|hates|hated|blocked|ghosted|dumped|hit|hurt|promised|admitted|apologi[sz]ed|matters"
    r"|and I\b|and me\b"
)
_NAME_VERB = re.compile(rf"\b{_NAME}(?:\s+(?:{_PERSON_VERBS})\b|['’]s\s)")
_OBJECT_VERBS = (
    r"tell|told|ask|asked|text|texted|call|called|message|messaged|email|emailed|write|wrote"
    r"|meet|met|miss|missed|forgive|forgave|trust|trusted|blame|blamed|hug|hugged|date|dated"
    r"|dating|marry|married|divorced|divorcing|love|loved|with|and|about|when|like|but"
)
_VERB_NAME = re.compile(rf"\b(?i:{_OBJECT_VERBS})\s+{_NAME}")
_PLACE_VERBS = (
    r"moved to|move to|moving to|live in|lived in|living in|lives in|grew up in|born in"
    r"|relocated to|drove to|flew to|back to|visiting|visited"
)
_PLACE = re.compile(rf"\b(?i:{_PLACE_VERBS})\s+{_NAME}")


class _NameContextRecognizer(_RegexRecognizer):
    """Keeps a match only if one of its words could be a name (not an ordinary word)."""

    def __init__(self, plain_words: frozenset[str]) -> None:
        super().__init__()
        self.plain_words = plain_words

    def keep(self, text: str, start: int, end: int) -> bool:
        return any(
            w.casefold().removesuffix("'s") not in self.plain_words for w in text[start:end].split()
        )


class PersonContextRecognizer(_NameContextRecognizer):
    """Names by context: "my sister Priya", "my ex, Jordan", "Dr. Patel", "named Hope",
    "Bianca said", "told Elena", "Oluwaseun's"."""

    ENTITY = "PERSON"
    PATTERNS = (
        (_RELATION, 0.75, 1),
        (_TITLE, 0.8, 1),
        (_NAMED, 0.75, 1),
        (_NAME_VERB, 0.6, 1),
        (_VERB_NAME, 0.6, 1),
    )


class LocationContextRecognizer(_NameContextRecognizer):
    """ "moved to Dayton", "grew up in Tacoma"."""

    ENTITY = "LOCATION"
    PATTERNS = ((_PLACE, 0.6, 1),)


def structured_recognizers() -> list[EntityRecognizer]:
    """The recognizers presidio's ``AnalyzerEngine`` runs (with context-word scoring)."""
    return [
        OfflineEmailRecognizer(),
        ValidPhoneRecognizer(supported_regions=PHONE_REGIONS),
        PhonePatternRecognizer(),
        UsSsnRecognizer(),
        CreditCardRecognizer(),
        IpRecognizer(),
        TherapyUrlRecognizer(),
        StreetAddressRecognizer(),
    ]
