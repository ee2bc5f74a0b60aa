"""Builds ``english_common.txt.gz`` and ``english_proper.txt.gz`` from SCOWL (run once, by hand).

    apt-get download wamerican-large && dpkg -x wamerican-large_*.deb wamerican
    python build_english_words.py wamerican/usr/share/dict/american-english-large

SCOWL size 70 (Debian's ``wamerican-large``) lists common English words in lower case and
proper nouns (first names, surnames, places, brands) capitalised. The name vetting (``names.py``)
asks which of the two a capitalised word is: "Sleep" is only a common word, "Katz" only a name,
"Mark" both.
Possessive forms are dropped. Licence: SCOWL-COPYRIGHT.txt (permissive; keep it beside the files).
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main(source: str) -> None:
    common: set[str] = set()
    proper: set[str] = set()
    for word in Path(source).read_text(encoding="utf-8").split():
        if word.endswith("'s"):
            continue
        (proper if word[0].isupper() else common).add(word)
    for name, words in (("english_common", common), ("english_proper", proper)):
        data = ("\n".join(sorted(words)) + "\n").encode("utf-8")
        # mtime=0: the same input gives the same bytes
        with gzip.GzipFile(HERE / f"{name}.txt.gz", "wb", mtime=0) as f:
            f.write(data)
        print(f"{name}: {len(words)} words")


if __name__ == "__main__":
    main(sys.argv[1])
