"""CPTSD teaching exchanges from video transcripts (monologues, or JSON caption segments).

Public API::

    report = generate_cptsd(source_store, ["voice/monologues/"], target_store,
                            "derived/cptsd/x.jsonl", CptsdOptions(min_words=120, seed=0))
    records = cptsd_records(read_transcripts(store, prefix), options)   # Conversation iterator
    read_transcripts / parse_text / parse_segments                      # transcripts.py
    clean_text / redact / split_sentences                               # text.py
    segment_sentences(sentences_of(transcript), min_words=.., max_words=..)  # segment.py
    load_lexicon(path=None).tag(text) -> [(theme_id, score), ...]        # themes.py + themes.yaml

Modules: ``transcripts`` (reading and parsing), ``text`` (words, sentences, cleaning, redaction
of speaker names/URLs/e-mails), ``segment`` (TextTiling-style cuts), ``themes`` (the YAML
lexicon), ``questions`` (templated user turns), ``build`` (records and the generator entry
point), ``output`` (seeded RNG, generator stamp and JSONL writer shared with the persona,
preference and pretraining generators).
"""

from pixel_platform.derived.cptsd.build import (
    DEFAULT_OUTPUT_KEY,
    GENERATOR,
    CptsdOptions,
    cptsd_records,
    generate_cptsd,
)
from pixel_platform.derived.cptsd.segment import Segment, segment_sentences, sentences_of
from pixel_platform.derived.cptsd.text import clean_text, redact, split_sentences
from pixel_platform.derived.cptsd.themes import ThemeLexicon, load_lexicon
from pixel_platform.derived.cptsd.transcripts import (
    Paragraph,
    ReadProblem,
    Transcript,
    parse_segments,
    parse_text,
    read_transcripts,
)

__all__ = [
    "DEFAULT_OUTPUT_KEY",
    "GENERATOR",
    "CptsdOptions",
    "Paragraph",
    "ReadProblem",
    "Segment",
    "ThemeLexicon",
    "Transcript",
    "clean_text",
    "cptsd_records",
    "generate_cptsd",
    "load_lexicon",
    "parse_segments",
    "parse_text",
    "read_transcripts",
    "redact",
    "segment_sentences",
    "sentences_of",
    "split_sentences",
]
