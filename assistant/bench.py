"""``assistant bench``: the real-time voice path over a folder of clips, with per-stage figures.

Each clip is fed in real time, as a microphone would deliver it, through VAD, STT, the LLM, the
sentence splitter and TTS; the reply goes to a virtual speaker. The first turn after loading is
reported as cold, the rest as warm. Figures are milliseconds after the end of the user's speech.

Beside it, in the same run and on the same models, a sequential baseline does what most local
assistants do: wait for the end of the turn, transcribe it all, generate the whole reply, synthesize
all of it, then play. Its turn ends when the silence alone is long enough (``end_silence``): it has
no early transcript to wait for, as the streaming path does. The ratio of the two medians is reported.
"""

from __future__ import annotations

import csv
import itertools
import os
import platform
import statistics
import time
from pathlib import Path

from assistant.config import Config, build_config
from assistant.contracts.errors import InputError
from assistant.contracts.turns import CancelToken
from assistant.pipeline.conversation import Conversation
from assistant.pipeline.router import RoutedLLM
from assistant.pipeline.sentences import SentenceSplitter
from assistant.timings import VOICE_MARKS
from assistant.turn_log import TurnLog

BASELINE_MARKS = ("end_of_speech_detected", "stt", "llm_reply", "tts_all", "voice_to_voice")


def default_clips_dir() -> Path:
    env = os.environ.get("ASSISTANT_EVAL_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1] / "eval" / "speech"  # the recorded clips kept in the repository


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


def sequential_turn(assistant, audio, detection_ms: float) -> dict:
    """The baseline: the same models one after another on the same utterance, nothing overlapped.

    Runs on the bench's thread while the assistant's stages sit idle between clips, so no model is used
    by two threads at once (nor by a reply written ahead for words that never became a turn)."""
    assistant.llm_stage.settle()
    stt = assistant.stt_stage.stt
    llm = assistant.llm_stage.llm
    tts = assistant.tts_stage.tts
    config = assistant.config
    t0 = time.monotonic()
    text = stt.transcribe(audio, language=None if config.stt.language == "auto" else config.stt.language).text
    t_stt = time.monotonic()
    conversation = Conversation(config.llm.system_prompt, config.llm.context_tokens, config.llm.max_new_tokens)
    reply = "".join(llm.stream(conversation.messages_for(text or "Hello.", llm.count_tokens), cancel=CancelToken(0)))
    t_llm = time.monotonic()
    splitter = SentenceSplitter()
    alone = CancelToken(0)
    alone.hold()  # nothing else runs: speech may take every core, as the first piece of a real turn does
    for piece in splitter.feed(reply) + splitter.flush():
        for _ in tts.synthesize(piece, cancel=alone):
            pass
    t_tts = time.monotonic()
    ms = lambda t: round(detection_ms + (t - t0) * 1000, 1)  # noqa: E731
    return {"end_of_speech_detected": detection_ms, "stt": ms(t_stt), "llm_reply": ms(t_llm),
            "tts_all": ms(t_tts), "voice_to_voice": ms(t_tts)}


def compare_config(config: Config, setting: str) -> Config:
    """``config`` with one ``vad.NAME=VALUE`` changed, checked like a settings file. Only vad.* settings: the
    segmenter reads them for each clip, while the others are read when the models load."""
    name, sep, value = setting.partition("=")
    section, _, key = name.strip().partition(".")
    if not sep or section != "vad" or not key:
        raise InputError("bench-compare-invalid", f"--compare takes one vad.* setting as vad.NAME=VALUE (got "
                         f"{setting!r}); other settings are read when the models load, so compare those with "
                         "two bench runs.")
    return build_config(config.to_dict(), env={f"ASSISTANT_VAD_{key.upper()}": value.strip()}, where="--compare")


def run_bench(config: Config, clips: list[Path], runs: int = 3, progress=print, baseline: bool = True,
              compare: str = "") -> dict:
    """Every clip ``runs`` times through the real-time voice path; with ``compare`` (``vad.NAME=VALUE``), every
    clip also with that setting, the two alternating in one process, and their paired differences: on a shared,
    noisy machine two separate runs differ by more than most changes do."""
    from assistant import bootstrap

    adapters = bootstrap.adapters()
    variants = [("settings", config)] + ([(compare, compare_config(config, compare))] if compare else [])
    # A virtual speaker, reset before each question so one reply's audio never delays the next one's.
    recorder = adapters.audio.recorder(realtime=False)
    t0 = time.monotonic()
    assistant = bootstrap.build_assistant(config, listen=True, speak=True, sink=recorder)
    errors = assistant.wait_ready()
    if errors:
        raise errors[0]
    load_s = time.monotonic() - t0
    setup = models_setup(assistant)
    turns = TurnLog()
    assistant.bus.subscribe(turns)
    samples: dict[str, list[dict]] = {name: [] for name, _ in variants}
    baselines: list[dict] = []
    try:
        for run in range(runs):
            for i, clip in enumerate(clips):
                for name, variant in variants if (i + run) % 2 == 0 else variants[::-1]:
                    assistant.config = variant  # the segmenter of the next listen() takes its vad settings
                    row, audio = _one_clip(assistant, recorder, turns, clip, run, cold=not samples[name])
                    samples[name].append(row)
                    line = f"{clip.name} run {run + 1}{'' if name == 'settings' else ' with ' + name}: "
                    line += (f"voice_to_voice {row['voice_to_voice']:.0f} ms" if "voice_to_voice" in row
                             else row["outcome"])
                    if baseline and name == "settings" and "end_of_speech_detected" in row:
                        base = sequential_turn(assistant, audio,
                                               row.get("end_silence", row["end_of_speech_detected"]))
                        baselines.append({"clip": clip.name, "run": run, "cold": row["cold"], **base})
                        line += f", sequential {base['voice_to_voice']:.0f} ms"
                    progress(line)
    finally:
        assistant.config = config
        assistant.shutdown()
    result = summarize(samples["settings"], load_s, baselines)
    result["models"] = setup
    if compare:
        result["compare"] = paired(compare, samples["settings"], samples[compare])
    return result


def _one_clip(assistant, recorder, turns: TurnLog, clip: Path, run: int, cold: bool):
    """One clip fed in real time as a fresh question: its row of timings, and the audio that was fed."""
    from assistant import bootstrap

    adapters = bootstrap.adapters()
    assistant.conversation.clear()
    recorder.flush()
    first_block = len(recorder.blocks)
    before = len(turns.speech_turns)
    source = adapters.audio.file_source(clip, max_seconds=assistant.config.audio.max_voice_input_s)
    assistant.listen(source).done.wait()
    new_turns = turns.speech_turns[before:]
    for turn_id in new_turns:
        assistant.wait_turn(turn_id, timeout=120)
    ended = [turns.ended.get(t) for t in new_turns]
    ok = [e for e in ended if e is not None and e.outcome == "completed"]
    row = {"clip": clip.name, "run": run, "cold": cold, "turns": len(new_turns),
           "outcome": ok[-1].outcome if ok else (ended[-1].outcome if ended and ended[-1] else "none")}
    if ok:
        row.update(ok[-1].timings_ms)
        row["transcript"] = turns.transcripts.get(ok[-1].turn_id, "")
        row["reply"] = turns.replies.get(ok[-1].turn_id, "")
        row["backend"] = turns.backends.get(ok[-1].turn_id, "")
        if len(new_turns) == 1:  # with two turns, the silence between their replies is not inside one
            row["reply_gap_ms"] = round(reply_gap_s(recorder.blocks[first_block:]) * 1000, 1)
    return row, source.samples


def reply_gap_s(blocks: list[tuple[float, object, int]]) -> float:
    """The silence inside a reply: how long, in all, the voice stopped between its first sound and its last
    because the next piece was not synthesized when the one before had been heard."""
    return sum(max(0.0, after[0] - (start + len(samples) / rate))  # type: ignore[arg-type]
               for (start, samples, rate), after in itertools.pairwise(blocks))


def paired(setting: str, base: list[dict], other: list[dict]) -> dict:
    """Per stage, the median of (with ``setting`` − without) over the warm clips where both reached it."""
    pairs = [(a, b) for a, b in zip(base, other, strict=True) if not a["cold"] and not b["cold"]]
    diffs = {}
    for key in VOICE_MARKS:
        d = [b[key] - a[key] for a, b in pairs if key in a and key in b]
        if d:
            diffs[key] = round(statistics.median(d), 1)
    return {"setting": setting, "pairs": len(pairs), "paired_median_diff_ms": diffs,
            "stages_ms": _stages(other, VOICE_MARKS),
            "transcripts_differing": sum(a.get("transcript") != b.get("transcript") for a, b in pairs),
            "clips_split": sum(b.get("turns", 1) > 1 for b in other),
            "samples": other}


def models_setup(assistant) -> dict:
    """How each model runs (device, precision, cache): the figures depend on it as much as on the hardware."""
    stt, llm, tts = assistant.stt_stage.stt, assistant.llm_stage.llm, assistant.tts_stage.tts
    if isinstance(llm, RoutedLLM) and llm.local is not None:
        llm = llm.local  # the local model behind the cloud router
    return {
        "stt": {"name": stt.name, "device": stt.device, "compute_type": stt.compute_type, "beam_size": stt.beam_size},
        "llm": {"name": llm.name, "runtime": llm.runtime, "device": llm.device, "int8": llm.quantized,
                "static_cache": llm.static_cache},
        "tts": {"name": tts.name},
        # the end of turn: the model asked at each pause, or none (silence and the words heard alone)
        "turn": {"name": assistant.turn.name if assistant.turn and assistant.config.vad.turn_model.strip() else "none"},
    }


def _stages(samples: list[dict], keys) -> dict:
    stages = {}
    for key in keys:
        warm = [s[key] for s in samples if key in s and not s["cold"]]
        cold = [s[key] for s in samples if key in s and s["cold"]]
        if warm:
            stages[key] = {"median": round(statistics.median(warm), 1), "p95": round(percentile(warm, 0.95), 1),
                           "n": len(warm), "cold": cold[0] if cold else None}
    return stages


def summarize(samples: list[dict], load_s: float, baselines: list[dict] | None = None) -> dict:
    result = {"hardware": hardware(), "models_load_s": round(load_s, 2), "stages_ms": _stages(samples, VOICE_MARKS),
              "turns": len(samples), "completed": sum(1 for s in samples if s["outcome"] == "completed"),
              "samples": samples}
    tiers = _tiers(samples)
    if tiers:
        result["tiers"] = tiers
    gaps = [s["reply_gap_ms"] for s in samples if "reply_gap_ms" in s and not s["cold"]]
    if gaps:
        result["reply_gap_ms"] = {"median": round(statistics.median(gaps), 1), "p95": round(percentile(gaps, 0.95), 1),
                                  "n": len(gaps), "with_gap": sum(g > 0 for g in gaps)}
    if baselines:
        result["sequential_ms"] = _stages(baselines, BASELINE_MARKS)
        result["baseline_samples"] = baselines
        streaming = result["stages_ms"].get("voice_to_voice", {}).get("median")
        sequential = result["sequential_ms"].get("voice_to_voice", {}).get("median")
        if streaming and sequential:
            result["ratio_to_sequential"] = round(streaming / sequential, 3)
    return result


def _tiers(samples: list[dict]) -> dict:
    """Routed (a bigger model for hard questions): each tier's share of the warm turns and its voice to voice."""
    warm = [s for s in samples if not s["cold"] and "voice_to_voice" in s]
    by_tier: dict[str, list[float]] = {}
    for s in warm:
        tier = s.get("backend", "").rpartition("(")[2].partition(":")[0]  # "local:x (big: arithmetic)" -> big
        if tier in ("small", "big"):
            by_tier.setdefault(tier, []).append(s["voice_to_voice"])
    return {tier: {"share": round(len(v) / len(warm), 3), "n": len(v),
                   "voice_to_voice_median": round(statistics.median(v), 1)} for tier, v in sorted(by_tier.items())}


def format_table(result: dict) -> str:
    lines = [f"hardware: {result['hardware']}", *([f"models: {result['models']}"] if "models" in result else []),
             f"models loaded in {result['models_load_s']} s; "
             f"{result['completed']}/{result['turns']} turns completed",
             f"{'stage (ms after end of speech)':<32}{'median':>9}{'p95':>9}{'cold':>9}{'n':>5}"]
    for key, row in result["stages_ms"].items():
        cold = f"{row['cold']:.0f}" if row["cold"] is not None else "-"
        lines.append(f"{key:<32}{row['median']:>9.0f}{row['p95']:>9.0f}{cold:>9}{row['n']:>5}")
    for tier, row in result.get("tiers", {}).items():
        lines.append(f"routed to the {tier} model: {row['share'] * 100:.0f}% of turns ({row['n']}), voice to voice "
                     f"median {row['voice_to_voice_median']:.0f} ms")
    if "reply_gap_ms" in result:
        gap = result["reply_gap_ms"]
        lines.append(f"silence inside replies (the voice waiting for its next piece): median {gap['median']:.0f} ms, "
                     f"p95 {gap['p95']:.0f} ms; {gap['with_gap']} of {gap['n']} replies had some")
    if result.get("sequential_ms"):
        lines.append("sequential baseline (same models, one after another)")
        for key, row in result["sequential_ms"].items():
            cold = f"{row['cold']:.0f}" if row["cold"] is not None else "-"
            lines.append(f"  {key:<30}{row['median']:>9.0f}{row['p95']:>9.0f}{cold:>9}{row['n']:>5}")
    if "ratio_to_sequential" in result:
        lines.append(f"voice_to_voice streaming / sequential (medians): {result['ratio_to_sequential']:.2f}")
    if "compare" in result:
        compare = result["compare"]
        lines.append(f"with {compare['setting']}, paired median difference over {compare['pairs']} clips "
                     f"({compare['transcripts_differing']} transcripts differ, {compare['clips_split']} clips split)")
        for key, diff in compare["paired_median_diff_ms"].items():
            lines.append(f"  {key:<30}{diff:>+9.0f}")
    return "\n".join(lines)


def plot_waterfall(result: dict, path: Path) -> Path:
    """Per-stage waterfall of the medians: streaming above, the sequential baseline below."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        from assistant.contracts.errors import ConfigError

        raise ConfigError("bench-plot-missing-dependency", "--plot needs matplotlib (pip install matplotlib).") \
            from None
    rows = [("streaming", result["stages_ms"], VOICE_MARKS[:-1]),
            ("sequential", result.get("sequential_ms", {}), BASELINE_MARKS[:-1])]
    rows = [row for row in rows if row[1]]  # no baseline row when the bench ran without one
    colors = ["#7a7a7a", "#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1"]
    longest = max((stages[k]["median"] for _, stages, keys in rows for k in keys if k in stages), default=1.0)
    fig, ax = plt.subplots(figsize=(10, 1.3 + 1.0 * len(rows)))
    for y, (_label, stages, keys) in enumerate(rows):
        start = 0.0
        for i, key in enumerate(keys):
            if key not in stages:
                continue
            end = stages[key]["median"]
            ax.barh(y, end - start, left=start, color=colors[i % len(colors)], edgecolor="white")
            if end - start >= 0.09 * longest:  # a narrow stage's name would run over its neighbours'
                ax.text((start + end) / 2, y, key.replace("_", " "), ha="center", va="center", fontsize=7,
                        color="white" if end - start > 0.2 * longest else "black")
            start = end
        ax.text(start + 20, y, f"{start:.0f} ms", va="center", fontsize=9)
    names: dict[int, list[str]] = {}  # colour -> the stages drawn in it (the rows' stages differ)
    for _label, stages, keys in rows:
        for i, key in enumerate(keys):
            if key in stages and key.replace("_", " ") not in names.setdefault(i, []):
                names[i].append(key.replace("_", " "))
    from matplotlib.patches import Patch

    legend = [Patch(color=colors[i % len(colors)], label=" / ".join(n)) for i, n in sorted(names.items())]
    ax.set_yticks(range(len(rows)), [r[0] for r in rows])
    ax.invert_yaxis()
    ax.set_xlabel("milliseconds after the end of the user's speech (medians, warm)")
    hw = result["hardware"]
    ax.set_title(f"voice to voice on {hw.get('cpu', hw['machine'])}, {hw['cpu_cores']} cores, GPU {hw.get('gpu', '-')}",
                 fontsize=10)
    fig.tight_layout()
    fig.legend(handles=legend, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(legend), fontsize=7,
               frameon=False)  # below the figure: savefig's tight box takes it in
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")  # the legend sits below the axes
    plt.close(fig)
    return path
