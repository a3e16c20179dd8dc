"""``assistant bench``: the real-time voice path over a folder of clips, with per-stage figures.

Each clip is fed in real time, as a microphone would deliver it, through VAD, STT, the LLM, the
sentence splitter and TTS; the reply goes to a recording sink. The first turn after loading is
reported as cold, the rest as warm. Figures are milliseconds after the end of the user's speech.
"""

from __future__ import annotations

import csv
import os
import platform
import statistics
import time
from pathlib import Path

from assistant.cli import TurnLog
from assistant.config import Config
from assistant.timings import VOICE_MARKS


def default_clips_dir() -> Path:
    env = os.environ.get("ASSISTANT_EVAL_DIR")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parents[1]
    return here.parent / "shared" / "eval" / "speech"


def list_clips(folder: Path) -> list[Path]:
    manifest = folder / "manifest.tsv"
    if manifest.is_file():
        with manifest.open(encoding="utf-8") as f:
            rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
        return [folder / r[0] for r in rows if r]
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".wav", ".flac", ".ogg", ".mp3"))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def hardware() -> dict:
    info = {"machine": platform.machine(), "cpu_cores": os.cpu_count(), "python": platform.python_version()}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        import torch

        info["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    except ImportError:
        pass
    return info


def run_bench(config: Config, clips: list[Path], runs: int = 3, progress=print) -> dict:
    from assistant import bootstrap

    # A virtual speaker that plays in real time: each reply is heard to its end before the next question,
    # as a user would listen, so one turn's audio never delays the next one's.
    recorder = bootstrap.recording_sink(realtime=True)
    t0 = time.monotonic()
    assistant = bootstrap.build_assistant(config, listen=True, speak=True, sink=recorder)
    errors = assistant.wait_ready()
    if errors:
        raise errors[0]
    load_s = time.monotonic() - t0
    turns = TurnLog()
    assistant.bus.subscribe(turns)
    samples: list[dict] = []
    try:
        for run in range(runs):
            for clip in clips:
                assistant.conversation.clear()  # every clip is a fresh question
                before = len(turns.speech_turns)
                listener = assistant.listen(bootstrap.file_source(clip, max_seconds=config.audio.max_voice_input_s))
                listener.done.wait()
                new_turns = turns.speech_turns[before:]
                for turn_id in new_turns:
                    assistant.wait_turn(turn_id, timeout=120)
                ended = [turns.ended.get(t) for t in new_turns]
                ok = [e for e in ended if e is not None and e.outcome == "completed"]
                row = {"clip": clip.name, "run": run, "cold": not samples,
                       "outcome": ok[-1].outcome if ok else (ended[-1].outcome if ended and ended[-1] else "none")}
                if ok:
                    row.update(ok[-1].timings_ms)
                samples.append(row)
                progress(f"{clip.name} run {run + 1}: " + (f"voice_to_voice {row.get('voice_to_voice', 0):.0f} ms"
                                                           if ok else row["outcome"]))
    finally:
        assistant.shutdown()
    return summarize(samples, load_s)


def summarize(samples: list[dict], load_s: float) -> dict:
    stages = {}
    for key in VOICE_MARKS:
        warm = [s[key] for s in samples if key in s and not s["cold"]]
        cold = [s[key] for s in samples if key in s and s["cold"]]
        if warm:
            stages[key] = {"median": round(statistics.median(warm), 1), "p95": round(percentile(warm, 0.95), 1),
                           "n": len(warm), "cold": cold[0] if cold else None}
    return {"hardware": hardware(), "models_load_s": round(load_s, 2), "stages_ms": stages,
            "turns": len(samples), "completed": sum(1 for s in samples if s["outcome"] == "completed"),
            "samples": samples}


def format_table(result: dict) -> str:
    lines = [f"hardware: {result['hardware']}", f"models loaded in {result['models_load_s']} s; "
             f"{result['completed']}/{result['turns']} turns completed",
             f"{'stage (ms after end of speech)':<32}{'median':>9}{'p95':>9}{'cold':>9}{'n':>5}"]
    for key, row in result["stages_ms"].items():
        cold = f"{row['cold']:.0f}" if row["cold"] is not None else "-"
        lines.append(f"{key:<32}{row['median']:>9.0f}{row['p95']:>9.0f}{cold:>9}{row['n']:>5}")
    return "\n".join(lines)
