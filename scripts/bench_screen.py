"""Benchmark: questions about the screen on the test screens (testkit/screens.py), with the real models.

Starts Xvfb (1920x1080), opens each test window, asks each of its questions about the full screen through the
same path as the app (capture -> OCR or VLM -> LLM -> TTS into a recording sink), and prints the accuracy and the
medians of capture time, screen reading (OCR) time, time to the first word and to the first audio.

    python scripts/bench_screen.py [--runs 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="passes over every question")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    def fail(message):
        raise SystemExit(message)

    from assistant import bootstrap
    from assistant.cli import setup
    from assistant.contracts.events import ErrorOccurred, ReplyFinished, ScreenCaptured, ScreenRead
    from testkit.helpers import EventLog
    from testkit.screens import SCREENS, show
    from testkit.xdisplay import virtual_display

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rows = []
    with virtual_display(fail=fail) as display:
        os.environ["DISPLAY"] = display.name
        os.environ.pop("WAYLAND_DISPLAY", None)
        config = setup(argparse.Namespace(config=None))
        sink = bootstrap.adapters().audio.recorder()
        assistant = bootstrap.build_assistant(config, listen=False, speak=True, sink=sink)
        t0 = time.monotonic()
        errors = assistant.wait_ready()
        if errors:
            raise SystemExit(f"models failed to load: {errors[0].message}")
        load_s = time.monotonic() - t0
        log = EventLog()
        assistant.bus.subscribe(log)
        for run in range(args.runs):
            for kind, screen in SCREENS.items():
                if not any(q.expect for q in screen.questions):
                    continue
                window = show(kind, display.env)
                try:
                    for question in screen.questions:
                        assistant.conversation.clear()  # each question stands alone
                        turn = assistant.ask(question.text, screen="screen")
                        ended = assistant.wait_turn(turn, 300)
                        sink.wait_drained(60)
                        reply = next((e.text for e in log.of(ReplyFinished) if e.turn_id == turn), "")
                        captured = next((e for e in log.of(ScreenCaptured) if e.turn_id == turn), None)
                        read = next((e for e in log.of(ScreenRead) if e.turn_id == turn), None)
                        error = next((e.code for e in log.of(ErrorOccurred) if e.turn_id == turn), "")
                        timings = ended.timings_ms if ended else {}
                        rows.append({
                            "run": run, "screen": kind, "question": question.text, "answer": reply,
                            "correct": question.answered_by(reply, screen), "error": error,
                            "capture_ms": captured.capture_ms if captured else None,
                            "ocr_ms": round(read.seconds * 1000, 1) if read else None,
                            "first_token_ms": timings.get("llm_first_token"),
                            "first_audio_ms": timings.get("first_audio"),
                            "reply_done_ms": timings.get("reply_done"),
                        })
                finally:
                    window.kill()
                    window.wait(10)
        assistant.shutdown()

    def median(key):
        values = [r[key] for r in rows if r[key] is not None]
        return round(statistics.median(values), 1) if values else None

    summary = {
        "questions": len(rows), "correct": sum(r["correct"] for r in rows),
        "accuracy": round(sum(r["correct"] for r in rows) / max(1, len(rows)), 3),
        "models_load_s": round(load_s, 1),
        **{f"median_{k}": median(k) for k in ("capture_ms", "ocr_ms", "first_token_ms", "first_audio_ms",
                                              "reply_done_ms")},
        "backend": assistant.llm_stage.screen.last_backend if assistant.llm_stage else "",
    }
    if args.json:
        print(json.dumps({"summary": summary, "rows": rows}, indent=1))
    else:
        for r in rows:
            mark = "ok  " if r["correct"] else "MISS"
            print(f"{mark} [{r['screen']}] {r['question']}\n     -> {r['answer'][:160]!r}")
            print(f"     capture {r['capture_ms']} ms, OCR {r['ocr_ms']} ms, first word {r['first_token_ms']} ms, "
                  f"first audio {r['first_audio_ms']} ms")
        print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
