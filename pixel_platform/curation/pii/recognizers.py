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
* street address: presidio has none; "1234 Elm Street, Springfield", "42 Oak Ave Apt 3", PO boxes.

Names found by context ("my sister Priya", sign-offs) are in ``name_context.py``.
"""

from __future__ import annotations

import re

import tldextract
from presidio_analyzer import (
    AnalysisExplanation,
    EntityRecognizer,
    LocalRecognizer,
    Pattern,
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


def _rescored(patterns: list[Pattern], scores: dict[str, float]) -> list[Pattern]:
    return [Pattern(p.name, p.regex, scores.get(p.name, p.score)) for p in patterns]


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail pattern, sure once the domain validates (presidio scores it 0.5, which
    would send every record with an address to review although the address is redacted)."""

    def __init__(self) -> None:
        super().__init__(patterns=_rescored(EmailRecognizer.PATTERNS, {"Email (Medium)": 0.7}))

    def validate_result(self, pattern_text: str) -> bool:
        return OFFLINE_TLD(pattern_text).fqdn != ""


class TherapySsnRecognizer(UsSsnRecognizer):
    """Presidio's SSN patterns; the dashed/dotted "123-45-6789" shape (presidio: 0.5) is sure
    enough to redact without review (0.65). Bare nine digits stay weak unless "SSN" is near."""

    def __init__(self) -> None:
        super().__init__(patterns=_rescored(UsSsnRecognizer.PATTERNS, {"SSN5 (medium)": 0.65}))

    def invalidate_result(self, pattern_text: str) -> bool:
        # Presidio also drops numbers the SSA never issues (000-, 666-, 078-05-1120, ...): not a
        # real person's, but what someone typed into a form all the same; redact them too. Mixed
        # delimiters still mean "not an SSN" ("123-45 6789" is more likely a phone).
        delimiters = {c for c in pattern_text if c in ".- "}
        return len(delimiters) > 1


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
URL_SCORE = 0.7
_SCHEME = re.compile(r"(?i)^(?:https?://|www\d{0,3}\.)")


class TherapyUrlRecognizer(UrlRecognizer):
    """Presidio's URL patterns, scored as sure (0.7): after ``invalidate_result`` a web address
    without a scheme ("staceybshapiro.com") is no less an address than one with it."""

    def __init__(self) -> None:
        patterns = [Pattern(p.name, p.regex, URL_SCORE) for p in UrlRecognizer.PATTERNS]
        super().__init__(patterns=patterns)

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
_FLAT = r"(?:(?i:Flat|Apt|Apartment|Unit|Suite)\s+[A-Za-z0-9\-]{1,5},?\s+)?"  # "Flat 2, 88 …"
_ADDRESS = re.compile(
    rf"\b{_FLAT}\d{{1,6}}(?:-\d{{1,4}})?[A-Za-z]?\s+(?:{_DIR}\s+)?(?:{_STREET_WORD}\s+){{1,4}}"
    rf"{_SUFFIX}\b(?:\s+{_DIR}(?![\w]))?{_UNIT}?(?:{_CITY}{_STATE_ZIP}?)?"
)
# Street type first (Spanish, Portuguese, French, Italian): "1138 Calle Ocho", "12 Rue Cler".
_ADDRESS_TYPE_FIRST = re.compile(
    r"\b\d{1,6}\s+(?:Calle|Avenida|Avda\.|Av\.|Camino|Paseo|Carrera|Rua|Rue|Via|Viale)"
    rf"\s+{_STREET_WORD}(?:\s+{_STREET_WORD}){{0,3}}{_UNIT}?"
)
# Lower-case chat: "55 park st apt 4" (abbreviated street types only: "5 miles down the road" is no
# address).
_ADDRESS_LOWER = re.compile(
    r"\b\d{1,6}\s+(?:[a-z]+\s+){1,2}(?:st|ave|rd|dr|ln|blvd|ct|pkwy|hwy)\b"
    r"(?:\s+(?:apt|unit|ste|#)\s*#?[a-z0-9\-]{1,5}\b)?"
)
_PO_BOX = re.compile(r"(?i)\bP\.?\s?O\.?\s*Box\s+\d{1,6}\b")
_RURAL_ROUTE = re.compile(r"(?i)\b(?:Rural Route|RR|HC)\s*\d{1,4},?\s*Box\s+\d{1,6}\b")


class StreetAddressRecognizer(_RegexRecognizer):
    ENTITY = "STREET_ADDRESS"
    PATTERNS = (
        (_ADDRESS, 0.7, 0),
        (_ADDRESS_TYPE_FIRST, 0.7, 0),
        (_ADDRESS_LOWER, 0.65, 0),
        (_PO_BOX, 0.7, 0),
        (_RURAL_ROUTE, 0.7, 0),
    )

    def __init__(self) -> None:
        super().__init__(context=["live", "address", "street", "moved", "house", "apartment"])


class PhonePatternRecognizer(_RegexRecognizer):
    """Phone shapes python-phonenumbers rejects (unallocated or fictional ranges, typos such as
    "787466-5478"): fail closed.

    10-digit NANP and "+CC ..." international shapes score 0.65 (redacted; a number of that
    shape is a phone number whether or not its range is allocated) and a context word lifts them
    to 1.0; bare 7-digit local numbers and national formats outside NANP score 0.3 and count
    only next to a context word ("call me at 867-2309", "my mobile is 07700 900461").
    """

    ENTITY = "PHONE_NUMBER"
    PATTERNS = (
        (re.compile(r"(?<![\d\-.])\b\d{3}[-.]\d{4}\b(?![\-.]?\d)"), 0.3, 0),
        (
            re.compile(
                r"(?<![\w\-+])(?:\+?1[\s.\-]?)?\(?\d{3}\)?[\s.\-]?\d{3}[\s.\-]\d{4}(?![\d\-])"
            ),
            0.65,
            0,
        ),
        (re.compile(r"(?<![\w+])\+\d{1,3}(?:[\s.\-]?\(?\d{1,5}\)?){2,5}(?![\d\-])"), 0.65, 0),
        # glued on to a word where a line break was lost: "…AdventHelp.com404.293.5654"
        (re.compile(r"(?<=[A-Za-z])\d{3}[.\-]\d{3}[.\-]\d{4}(?![\d\-])"), 0.7, 0),
        # mobiles outside NANP, distinctive enough alone: UK "07700 900461", Australia
        # "0491 570 156", and area codes in brackets: "(03) 7010 4821", "(020) 7946 0958"
        (re.compile(r"(?<![\w+])(?:07\d{3}\s?\d{6}|04\d{2}\s?\d{3}\s?\d{3}"
                    r"|\(0\d{1,3}\)\s?\d{3,4}\s?\d{4})(?![\d\-])"), 0.65, 0),
        # other national formats, next to a phone word only (context lifts 0.3): "020 7946 0958"
        (re.compile(r"(?<![\w+(])0\d{2,3}\s\d{3,4}\s\d{3,4}(?![\d\-])"), 0.3, 0),
    )

    def __init__(self) -> None:
        super().__init__(context=["phone", "number", "call", "text", "cell", "mobile", "reach"])

    def keep(self, text: str, start: int, end: int) -> bool:
        digits = sum(c.isdigit() for c in text[start:end])
        return digits == 7 or 10 <= digits <= 15 or (text[start] == "+" and digits >= 8)


class SsnContextRecognizer(_RegexRecognizer):
    """Nine digits right after "SSN" or "social security number": presidio scores a bare
    "604219847" 0.05 (0.4 with context), too weak to redact; the label says what it is."""

    ENTITY = "US_SSN"
    PATTERNS = (
        (re.compile(r"(?i:\b(?:ssn|social security(?:\s+(?:number|no\.?|#))?)\s*(?:is|:|#|=)?"
                    r"\s*)(\d{3}[- .]?\d{2}[- .]?\d{4})(?!\d)"), 0.85, 1),
    )


class SocialProfileRecognizer(_RegexRecognizer):
    """A profile on a social or link-in-bio site: "youtube.com/@AshleyStaysSober",
    "linktr.ee/sunnyside.sam" (presidio's URL pattern stops at "@"; ".ee" is a rare TLD)."""

    ENTITY = "URL"
    PATTERNS = (
        (re.compile(
            r"(?i)\b(?:https?://)?(?:www\.)?(?:youtube|instagram|tiktok|twitter|x|facebook|fb"
            r"|threads|linkedin|snapchat|twitch|reddit|medium|substack|pinterest|tumblr|soundcloud"
            r"|patreon|venmo|cash|linktr|beacons|carrd|bsky)\.(?:com|ee|net|app|me|co|ai|social)"
            r"/(?:@|u/|user/|in/|c/|channel/|\$)?[\w.\-]+"), 0.7, 0),
    )


def structured_recognizers() -> list[EntityRecognizer]:
    """The recognizers presidio's ``AnalyzerEngine`` runs (with context-word scoring)."""
    return [
        OfflineEmailRecognizer(),
        ValidPhoneRecognizer(supported_regions=PHONE_REGIONS),
        PhonePatternRecognizer(),
        TherapySsnRecognizer(),
        SsnContextRecognizer(),
        SocialProfileRecognizer(),
        CreditCardRecognizer(),
        IpRecognizer(),
        TherapyUrlRecognizer(),
        StreetAddressRecognizer(),
    ]
