#!/usr/bin/env python3
"""Speech recognition accuracy on a folder of recorded clips with reference transcripts (eval/speech's layout).

    python scripts/eval_speech.py                                   # English clips, the default recognizer
    python scripts/eval_speech.py --language auto                   # the multilingual one, detecting the language
    python scripts/eval_speech.py --clips eval/speech-zh --language auto
    python scripts/eval_speech.py --clips eval/speech-zh --language zh --runs 3 --json

Word error rate for clips in a language written with spaces (Whisper's English normalizer); character error rate,
in simplified characters without punctuation, for Chinese references. Also the language detected for each clip
and the time each transcription took (the recognizer as the app builds it from the settings, with
``stt.language`` and ``stt.model`` given here; medians over ``--runs``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant import bootstrap  # noqa: E402
from assistant.config import Config  # noqa: E402
from assistant.pipeline.languages import CJK_CHARS  # noqa: E402
from audio.files import read_audio  # noqa: E402
from testkit.helpers import EVAL_DIR, cer, eval_clips, wer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=Path, default=EVAL_DIR, help="folder with manifest.tsv (default: eval/speech)")
    parser.add_argument("--language", default="en", help='stt.language: "en", a code such as "zh", or "auto"')
    parser.add_argument("--model", default="bundled", help="stt.model (default: bundled)")
    parser.add_argument("--runs", type=int, default=1, help="transcribe every clip this many times (timings)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()

    config = Config().replace("stt", language=args.language, model=args.model)
    stt = bootstrap.create_stt(config)
    t0 = time.monotonic()
    stt.load()
    load_s = time.monotonic() - t0
    clips = eval_clips(args.clips)
    rows = []
    for path, reference in clips:
        audio = read_audio(path)
        times, transcript = [], None
        for _ in range(args.runs):
            t = time.monotonic()
            transcript = stt.transcribe(audio)
            times.append((time.monotonic() - t) * 1000)
        rows.append({"clip": path.name, "seconds": round(len(audio) / 16000, 2), "reference": reference,
                     "heard": transcript.text, "language": transcript.language,
                     "transcribe_ms": round(statistics.median(times), 1)})
    chinese = any(re.search(f"[{CJK_CHARS}]", r["reference"]) for r in rows)
    score = cer if chinese else wer
    result = {
        "recognizer": stt.name, "stt.language": args.language, "clips": len(rows), "load_s": round(load_s, 2),
        "metric": "CER" if chinese else "WER",
        "error_rate": round(score([r["reference"] for r in rows], [r["heard"] for r in rows]), 4),
        "languages_detected": dict(Counter(r["language"] for r in rows)),
        "transcribe_ms_median": round(statistics.median(r["transcribe_ms"] for r in rows), 1),
        "clip_s_median": round(statistics.median(r["seconds"] for r in rows), 2),
        "rows": rows,
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    for r in rows:
        print(f"{r['clip']:<40} {r['language']:>3} {r['transcribe_ms']:>7.0f} ms  {r['heard']}")
    print(f"\n{result['recognizer']} (stt.language = {args.language}): {result['metric']} "
          f"{100 * result['error_rate']:.1f} % over {len(rows)} clips; detected {result['languages_detected']}; "
          f"transcribe median {result['transcribe_ms_median']:.0f} ms (clips {result['clip_s_median']} s median); "
          f"load {load_s:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
