"""Names found by their context, without a model: "my sister Priya", "Dr. Patel", sign-offs.

Each pattern yields a ``Candidate`` with its evidence: STRONG for contexts that say a person is
named (a relation, a title, "named", "I'm", a greeting, a sign-off after a closing formula,
credentials after the name), WEAK for verbs people do ("Bianca said", "told Elena"). Candidates
are vetted by ``NameVetter`` like the model's, so "Dr. Sleep" or "with Mom" come to nothing.

Counselling answers are signed: "Be well, Robin J. Landwehr, DBH, LPC", "Best wishes,Karen",
"~Mark (www…)", "-Lindsey". Those are the patterns that catch names a small NER model misses at
the end of a text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pixel_platform.curation.pii.names import CREDENTIALS, Candidate, Evidence

_UP = r"[A-ZÀ-ÖØ-Þ]"
_LOW = r"[a-zß-öø-ÿ]"
_WORD = rf"(?:{_UP}['’])?{_UP}{_LOW}+(?:['’\-]{_UP}?{_LOW}+)*"  # "Mary-Kate", "O'Neil"
_INITIAL = rf"{_UP}\."
_START = r"(?<![\w'’.])(?<!\w[\-'’])"  # a name starts a word ("-Lindsey" does)
# One to four name words ("Robin J. Landwehr", "Mary-Kate O'Brien"), single spaces between.
_NAME = rf"({_START}{_WORD}(?:[ \u00a0](?:{_WORD}|{_INITIAL})){{0,3}})"
_NAME2 = rf"({_START}{_WORD}(?:[ \u00a0]{_WORD})?)"  # one or two words, after verbs
_NAME3 = rf"({_START}{_WORD}(?:[ \u00a0](?:St\.[ \u00a0])?{_WORD})?)"  # "Anne-Marie St. Clair"
_TITLE_NAME = rf"((?:{_WORD}|{_UP}\b)(?:[ \u00a0](?:{_WORD}|{_INITIAL})){{0,3}})"  # "Dr. T"
_LOWER_NAME = rf"({_LOW}{{2,}}(?:['’\-]{_LOW}+)?)"
_CRED = CREDENTIALS.pattern

_REL = (
    r"friend|bestie|sister|brother|sibling|cousin|aunt|auntie|uncle|niece|nephew|son|daughter|kid"
    r"|boyfriend|girlfriend|bf|gf|partner|husband|wife|fianc[eé]e?|ex|roommate|housemate|flatmate"
    r"|co-?worker|colleague|boss|manager|supervisor|teacher|professor|coach|therapist|counsell?or"
    r"|psychiatrist|doctor|neighbou?r|classmate|grandma|grandmother|grandpa|grandfather|mom|mum"
    r"|mother|dad|father|step-?mom|step-?dad|stepmother|stepfather|crush|mentor|pastor|sponsor"
    r"|client|patient|baby|toddler|child|stepson|stepdaughter|twin"
)
_SP = r"[ \t\u00a0]+"  # a context and its name are on one line
_REL_PREFIX = (
    rf"(?i:\b(?:my|our|his|her|their|your){_SP}(?:(?:best|old|older|younger|little|big|new|ex|"
    rf"former|late|dear|twin|step|half)[ \t\-]+)*(?:{_REL})s?,?{_SP})"
)
_CLOSINGS = (
    r"best wishes|best regards|warm regards|warmest regards|kind regards|regards|warmly|sincerely"
    r"|kindly|respectfully|cheers|be well|take care|good luck|all the best|blessings|peace"
    r"|with care|in solidarity|best|thanks|thank you|wishing you[^.!?\n]{0,40}"
    r"|hope (?:this|that|it) (?:was )?help(?:s|ed|ful)|i hope this helps|good luck to you"
    r"|yours|yours truly|love|with love|hugs|xoxo|xo|until next time|saludos|un abrazo|atentamente"
)
_END = rf"(?=\s*(?:$|\n|\(|~|,?\s*{_CRED}\b|[.!]\s*$))"

# Family, partners and friends: what "X's …" and "X is my …" say someone is to a person (no
# "patient" or "client": "Alzheimer's patients" names a disease).
_KIN = (
    r"mom|mum|mother|dad|father|parents?|sister|brother|sibling|cousin|aunt|uncle|grandma"
    r"|grandmother|grandpa|grandfather|husband|wife|boyfriend|girlfriend|partner|fianc[eé]e?"
    r"|ex|son|daughter|kids?|family|friend|best friend|roommate|stepmom|stepdad|in-laws"
)
_MY_REL = (
    rf"(?i:(?:my|our){_SP}(?:(?:best|old|older|younger|little|big|new|ex|former|late|dear|twin|"
    rf"step|half|first|only|college|high school)[ \t\-]+)*(?:{_REL}|mother-in-law|father-in-law"
    rf"|sister-in-law|brother-in-law|sponsor|twins|kids|children|best friend)s?)\b"
)
_MY_KIN = (
    rf"(?i:(?:my|our){_SP}(?:(?:older|younger|little|big|baby|twin|step|half|late)[ \t\-]+)*"
    rf"(?:daughter|son|sister|brother|mother|father|mom|mum|dad|husband|wife|fianc[eé]e?|boyfriend"
    rf"|girlfriend|cousin|aunt|uncle|niece|nephew|grandmother|grandfather|grandma|grandpa"
    rf"|stepmother|stepfather|stepson|stepdaughter|roommate|sponsor|twins|kids|children"
    rf"|mother-in-law|father-in-law|sister-in-law|brother-in-law)s?)\b"
)
_CLAUSE_START = r"(?:^|(?<=[.!?\n])\s*|(?<=[.!?]['’\"”)])\s*|\b(?:and|but|so|because),?[ \t]+)"
# "Hope is my…", "Autumn and Jasmine are my…" at a clause start: the name groups, then the verb.
_COPULA = (
    rf"{_CLAUSE_START}{_NAME3}(?:{_SP}(?:and|&){_SP}{_NAME2})?{_SP}(?:is|was|are|were|has been"
    rf"|have been)(?:{_SP}(?:also|still|basically|like))?"
)
STRONG_PATTERNS: tuple[tuple[str, re.Pattern[str], float], ...] = (
    ("relation", re.compile(rf"{_REL_PREFIX}{_NAME2}"), 0.8),
    ("title", re.compile(
        rf"\b(?:Dr|Mr|Mrs|Ms|Mx|Prof|Rev|Pastor|Rabbi|Imam|Coach|Officer|Nurse|Aunt|Auntie|Uncle"
        rf"|Grandma|Grandpa|Nana|Cousin|Sister|Brother|Father|Sr|Dra|Sra|Señora|Señor|Tía|Tío)"
        rf"\.?{_SP}(?!(?:Right|Wrong|Perfect|Nice|Big|Clean|Fix|Feelgood|Nobody|Somebody|Know)\b)"
        rf"{_TITLE_NAME}"),  # not the idioms "Mr. Right", "Mr. Nice Guy", "Mr. Know-It-All"
     0.85),
    ("named", re.compile(rf"\b(?i:named|name is|name's|names are|called me|call me){_SP}{_NAME2}"),
     0.8),
    # "Hope is my daughter", "Summer was my best friend", "Autumn and Jasmine are my twins": a
    # sentence that opens by saying who someone is to the writer. Only at a sentence start (or
    # after "and"/"but"), so "I think Grace is my strength" is not a name.
    # Only family vouches for a plain word: "Summer was my best friend" is a name, but so reads
    # "Alcohol was my best friend" (a plain word needs a family word: "Joy is my daughter").
    ("copula_kin", re.compile(rf"{_COPULA}{_SP}{_MY_KIN}"), 0.8),
    ("copula_relation", re.compile(rf"{_COPULA}{_SP}{_MY_REL}"), 0.8),
    # An age: "Ray is 4 months old", "Lily just turned six".
    ("age", re.compile(
        rf"{_CLAUSE_START}{_NAME2}{_SP}(?:is|was|turned|turns|just turned)(?:{_SP}(?:only|almost"
        rf"|nearly|about|just))?{_SP}(?:\d{{1,2}}|one|two|three|four|five|six|seven|eight|nine|ten"
        rf"|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen)(?:{_SP}(?:months?"
        rf"|years?|weeks?){_SP}old\b|(?=\s*[.!,]))"), 0.8),
    # A person's pronouns: "Sky uses they/them", "Rain goes by she/her".
    ("pronouns", re.compile(rf"{_CLAUSE_START}{_NAME2}{_SP}(?:uses|goes by|prefers){_SP}"
                            r"(?:she|he|they|xe|ze)/"), 0.8),
    # "Yusuf's mother", "Hope's teacher": someone's family or partner.
    ("possessive_relation", re.compile(rf"{_START}{_NAME2}['’]s{_SP}(?:{_KIN})s?\b"), 0.8),
    # A thank-you addressed to someone: "Thank you, Destiny, but…", "Thanks, Kat!"
    ("thanks", re.compile(rf"(?i:\b(?:thank you|thanks|thx|ty)),?{_SP}{_NAME2}(?=\s*[,.!])"),
     0.8),
    ("greeting", re.compile(rf"(?:^|\n)\s*(?i:hi|hello|hey|dear|greetings),?\s+{_NAME}"
                            r"(?=\s*[,.!:;\n(]|\s*$)"), 0.8),
    ("signoff", re.compile(rf"(?i:\b(?:{_CLOSINGS}))\s*[,.!:;~\-—–]*[\s\u00a0]*(?:[~\-—–]\s?)?"
                           rf"{_NAME}{_END}"), 0.85),
    ("dash_signoff", re.compile(rf"(?:^|[\s.!?,])[~—–\-]{{1,2}}\s?{_NAME}{_END}"), 0.85),
    # also glued on to the text before it: "…/good-therapistLaura Cassity, LMSW"
    ("credentials", re.compile(rf"((?:{_START}|(?<=[a-z])){_WORD}"
                               rf"(?:[ \u00a0](?:{_WORD}|{_INITIAL})){{0,3}}),?\s+(?:{_CRED})"
                               r"(?=[\s,.;)A-Z]|$)"), 0.85),
)  # fmt: skip
_PERSON_VERBS = (
    r"said|says|told|tells|asked|asks|texted|texts|called|calls|keeps|kept|moved|left|leaves"
    r"|thinks|thought|wants|wanted|yelled|screams|screamed|cheated|died|passed away|loves|loved"
    r"|hates|hated|blocked|ghosted|dumped|hit|hurt|promised|admitted|apologi[sz]ed|suggested"
    r"|mentioned|wrote|recommended|talked|gave|invited|helped|hugged|noticed|sounds|seems"
    r"|and I\b|and me\b"
)
_OBJECT_VERBS = (
    r"tell|told|ask|asked|text|texted|call|called|message|messaged|email|emailed|meet|met|miss"
    r"|missed|forgive|forgave|trust|trusted|blame|blamed|hug|hugged|date|dated|dating|marry"
    r"|married|divorced|divorcing|echo|agree with|as"
)
WEAK_PATTERNS: tuple[tuple[str, re.Pattern[str], float], ...] = (
    # "I'm Amelia." (but "I'm Canadian", "I'm Sorry": the name must be one, not a plain word)
    ("self", re.compile(rf"(?:^|[\s.!?])(?:I['’]m|I am|[Mm]y name is|[Tt]his is)\s+{_NAME2}"
                        r"(?=\s*[,.!;:\n)]|\s+(?:and|from|here)\b)"), 0.8),
    ("subject_verb", re.compile(rf"\b{_NAME2}(?:{_SP}(?:{_PERSON_VERBS})\b)"), 0.7),
    ("verb_object", re.compile(rf"\b(?i:{_OBJECT_VERBS}){_SP}{_NAME2}"), 0.7),
)
_PLACE_VERBS = (
    r"moved to|move to|moving to|live in|lived in|living in|lives in|grew up in|born in"
    r"|relocated to|drove to|flew to|back to|visiting|visited|located in|practice in|clinic in"
    r"|resources in|services in|from"
)
_FACILITY = (
    r"(?:Elementary|Middle|High|Junior High|Primary|Secondary|Prep|Preparatory|Charter) School"
    r"|Academy|Hospital|Medical Center|Behavioral Health|Psychiatric (?:Center|Hospital)"
    r"|Treatment Center|Recovery Center|Rehab|Correctional Facility|Detention Center"
)
PLACE_PATTERNS: tuple[tuple[str, re.Pattern[str], float], ...] = (
    ("place", re.compile(rf"\b(?i:{_PLACE_VERBS}){_SP}{_NAME2}"), 0.7),
    # a named school or hospital places a person: "Roosevelt Middle School"
    ("facility", re.compile(
        rf"({_START}{_WORD}(?:[ \u00a0]{_WORD}){{0,2}}[ \u00a0](?:{_FACILITY}))\b"), 0.7),
)
_REL_ES = (
    r"hermana|hermano|t[ií]a|t[ií]o|suegra|suegro|madre|padre|mam[aá]|pap[aá]|hija|hijo|novia"
    r"|novio|esposa|esposo|pareja|amiga|amigo|prima|primo|abuela|abuelo|jefa|jefe|compañera"
    r"|compañero|vecina|vecino|maestra|maestro|terapeuta|doctora|doctor|psic[oó]loga|psic[oó]logo"
    r"|sobrina|sobrino|nieta|nieto|cuñada|cuñado|ex"
)
SPANISH_PATTERNS: tuple[tuple[str, re.Pattern[str], float], ...] = (
    ("relation", re.compile(rf"(?i:\b(?:mi|mis|tu|su|nuestra|nuestro){_SP}(?:{_REL_ES})s?,?)"
                            rf"{_SP}{_NAME2}"), 0.8),
    ("named", re.compile(rf"\b(?i:se llama|me llamo|llamada|llamado){_SP}{_NAME2}"), 0.8),
    ("pair", re.compile(rf"{_CLAUSE_START}{_NAME2}{_SP}y{_SP}yo\b"), 0.8),  # "Rocío y yo"
    ("copula_relation", re.compile(rf"{_CLAUSE_START}{_NAME2}{_SP}(?:es|era|fue){_SP}"
                                   rf"(?i:mi|nuestra|nuestro){_SP}(?i:{_REL_ES})\b"), 0.8),
)  # fmt: skip
# Chinese: a relation word, then a common surname and a given name of one or two characters
# ("我男朋友张伟总是…", "我的同事王芳每天…"); the name ends before a common function character.
_ZH_REL = (
    "男朋友|女朋友|男友|女友|老公|老婆|丈夫|妻子|朋友|同事|同学|老师|医生|姐姐|哥哥|妹妹|弟弟|妈妈"
    "|爸爸|儿子|女儿|室友|上司|老板|经理|邻居|前任|表姐|表哥|叔叔|阿姨"
)
_ZH_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴"
    "莫孔向汤"
)
_ZH_STOP = "总是说每在的和也不就都很又还已对跟给让把被会要能今昨天最一"
# A romanised name with its characters after it: "Zhang Wei (张伟)".
_ZH_GLOSS = re.compile(
    rf"{_UP}{_LOW}+(?: {_UP}{_LOW}+)?\s*[(（]([{_ZH_SURNAMES}][\u4e00-\u9fff]{{1,2}})[)）]"
)
_ZH_NAME = re.compile(
    rf"(?:{_ZH_REL})(?:叫|是)?([{_ZH_SURNAMES}][\u4e00-\u9fff](?:(?![{_ZH_STOP}])[\u4e00-\u9fff])?)"
)
LOWER_PATTERNS: tuple[tuple[str, re.Pattern[str], float], ...] = (
    ("relation", re.compile(rf"(?i:\b(?:my|our|his|her|their|your)\s+(?:{_REL})s?,?\s+)"
                            rf"{_LOWER_NAME}\b"), 0.8),
    ("named", re.compile(rf"\b(?:named|name is|name's)\s+{_LOWER_NAME}\b"), 0.8),
    # "aunt carol", "dr okafor": a title in lower-case chat (a plain word after it is no name)
    ("title", re.compile(rf"\b(?:dr|mr|mrs|ms|aunt|auntie|uncle|grandma|grandpa|nana|coach"
                         rf"|pastor)\.?[ \t]+{_LOWER_NAME}\b"), 0.8),
)  # fmt: skip
LOWER_WEAK_PATTERNS: tuple[tuple[str, re.Pattern[str], float], ...] = (
    ("subject_verb", re.compile(rf"(?<![\w'’])(?!(?:i|he|she|it|we|they|you|u|who|that|this|"
                                rf"and|but|so|then|ppl|everyone|someone|nobody)\b){_LOWER_NAME}"
                                rf"\s+(?:{_PERSON_VERBS})\b"), 0.7),
    ("verb_object", re.compile(rf"\b(?:{_OBJECT_VERBS})\s+(?!(?:me|him|her|them|us|you|u|it"
                               rf"|that|this|about|and|to|my|your|a|the|if)\b){_LOWER_NAME}\b"),
     0.7),
)  # fmt: skip


# Contexts that make even a plain word a name ("my daughter Destiny", "Sky uses they/them"); not
# a title: "Mr. Not So Great", "Mr. Right".
_VOUCHING = frozenset({"relation", "named", "copula_kin", "pronouns"})
_HAS_CJK = re.compile(r"[\u4e00-\u9fff]")


def _named_groups(m: re.Match[str]) -> list[int]:
    """The groups of ``m`` that matched: a pattern may name two people ("Autumn and Jasmine")."""
    return [g for g in range(1, (m.re.groups or 1) + 1) if m.start(g) >= 0]


def context_candidates(text: str, cased: bool, entities: frozenset[str]) -> Iterator[Candidate]:
    """Person (and place) candidates by context. ``text`` has straight apostrophes."""
    if "PERSON" in entities:
        if _HAS_CJK.search(text):
            for m in (*_ZH_NAME.finditer(text), *_ZH_GLOSS.finditer(text)):
                yield Candidate("PERSON", m.start(1), m.end(1), 0.8, Evidence.STRONG,
                                trim_plain=False, vouches=True, cjk=True)
        if cased:
            for patterns, evidence in ((STRONG_PATTERNS, Evidence.STRONG),
                                       (SPANISH_PATTERNS, Evidence.STRONG),
                                       (WEAK_PATTERNS, Evidence.WEAK)):  # fmt: skip
                for kind, pattern, score in patterns:
                    for m in pattern.finditer(text):
                        for g in _named_groups(m):
                            yield Candidate("PERSON", m.start(g), m.end(g), score, evidence,
                                            trim_plain=evidence is not Evidence.STRONG,
                                            initial_ok=kind == "title",
                                            vouches=kind in _VOUCHING)  # fmt: skip
        else:
            for patterns, evidence in ((LOWER_PATTERNS, Evidence.STRONG),
                                       (LOWER_WEAK_PATTERNS, Evidence.WEAK)):  # fmt: skip
                for kind, pattern, score in patterns:
                    for m in pattern.finditer(text):
                        yield Candidate("PERSON", m.start(1), m.end(1), score, evidence,
                                        vouches=kind in _VOUCHING)  # fmt: skip
    if "LOCATION" in entities and cased:
        for kind, pattern, score in PLACE_PATTERNS:
            for m in pattern.finditer(text):
                yield Candidate("LOCATION", m.start(1), m.end(1), score,
                                Evidence.STRONG if kind == "facility" else Evidence.WEAK)


# Cited authors are public figures in their public role: "Robinson (2012)", "(Siegel, 2010)",
# "Johnson et al.", "books by Harriet Lerner", "developed by Marsha Linehan". Only full names
# after a "by" context (a first name alone could be anyone's).
_SURNAME = rf"{_UP}{_LOW}+(?:['’\-]{_UP}?{_LOW}+)*"
_CITATIONS = (
    re.compile(rf"\b({_SURNAME}(?:\s+(?:and|&)\s+{_SURNAME})?(?:\s+et\s+al\.?)?),?\s*"
               r"\((?:19|20)\d\d[a-z]?\)"),
    re.compile(rf"\(({_SURNAME}(?:\s+(?:and|&)\s+{_SURNAME})?(?:\s+et\s+al\.?)?),\s*"
               r"(?:19|20)\d\d[a-z]?\)"),
    re.compile(rf"\b({_SURNAME})\s+et\s+al\b"),
    re.compile(rf"(?i:\b(?:books?|workbooks?|articles?|research|writings?|podcasts?|work|studies"
               r"|theory|model|method|approach|talks?|written|edited|developed|created|founded"
               r"|coined|pioneered|authored|popularized|popularised)\s+(?:\w+\s+)?by\s+)"
               rf"((?:Dr\.?\s+)?{_SURNAME}(?:\s+{_UP}\.)?\s+{_SURNAME}"
               rf"(?:\s+(?:and|&)\s+{_SURNAME}(?:\s+{_SURNAME})?)?)"),
    re.compile(rf"(?i:\bauthors?\s+)({_SURNAME}\s+{_SURNAME})"),
    # "Greene's Explosive Child", "Chapman's The Five Love Languages": an author's book
    re.compile(rf"\b({_SURNAME})['’]s\s+(?:The\s+)?{_UP}{_LOW}+\s+{_UP}{_LOW}+"),
)  # fmt: skip


def public_name_ranges(text: str) -> list[tuple[int, int]]:
    """Where cited authors are named (kept: they are public figures in their public role)."""
    if not any(c.isupper() for c in text):
        return []
    return [m.span(1) for pattern in _CITATIONS for m in pattern.finditer(text)]
