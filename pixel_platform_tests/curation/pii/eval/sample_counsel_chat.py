"""How the counsel-chat records of the PII evaluation set were chosen (run once; kept as record).

    pixel-platform convert counsel_chat_20200325.csv --family professional_therapeutic \
        --output cc.jsonl --quarantine q.jsonl
    python -m pixel_platform_tests.curation.pii.eval.sample_counsel_chat cc.jsonl OUT.jsonl

The CSV is converted exactly as the pipeline converts it (question title + text as the user
turn, the answer as the assistant turn). 320 rows are drawn
with a fixed seed: 160 from rows whose text has a cue that PII may be present (a URL, a phone-like
digit run, an e-mail, "Dr."/"my name is"/"I'm <Name>", a signature line with a credential) and
160 from the rest, so the set measures both recall (enough identifiers) and precision (ordinary
counselling text). Every record was then read and labelled by hand (see GUIDE.md).
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import orjson

CUE = re.compile(
    r"(?i)https?://|www\.|\.(?:com|org|net)\b|@|\d{3}[\s.\-)]+\d{3}[\s.\-]\d{4}"
    r"|\bdr\.?\s+[A-Z]|\bmy name is\b|\bi'?m [A-Z][a-z]+\b"
    r"|\b(?:LCSW|LPC|LMFT|LMHC|PhD|Psy\.?D|MFT|NCC|LPCC|MSW|MA|MS|LCPC|LICSW)\b"
)
SEED = 20261207
PER_STRATUM = 160


def main(src: str, out: str) -> None:
    rows = [orjson.loads(line) for line in Path(src).read_bytes().splitlines() if line.strip()]
    cued, plain = [], []
    for row in rows:
        text = "\n".join(m["content"] for m in row["messages"] if m["role"] != "system")
        (cued if CUE.search(text) else plain).append(row)
    rng = random.Random(SEED)
    chosen = rng.sample(cued, PER_STRATUM) + rng.sample(plain, PER_STRATUM)
    chosen.sort(key=lambda r: int(r["metadata"]["provenance"]["index"]))
    with open(out, "wb") as f:
        for row in chosen:
            prov = row["metadata"]["provenance"]
            turns = [m for m in row["messages"] if m["role"] != "system"]
            f.write(orjson.dumps({
                "id": f"cc-{prov['index']}",
                "stratum": "cued" if row in cued else "plain",
                "messages": turns,
            }) + b"\n")
    print(f"{len(cued)} cued, {len(plain)} plain rows; wrote {len(chosen)} to {out}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
