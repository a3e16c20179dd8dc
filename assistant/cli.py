"""The headless command line: ``assistant ask|transcribe|say|voice|listen|demo|models|doctor|tools|timers|config``.

Every failure prints ``error [code]: message`` and exits non-zero (3 config, 4 input, 5 model,
6 no speech, 7 audio device, 1 anything else); a traceback only with ``-v``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from importlib import resources
from pathlib import Path

from assistant import __version__
from assistant.config import Config, config_path, load_config, secure_app_folders
from assistant.contracts.errors import AssistantError, InputError, NoSpeechError
from assistant.contracts.events import (
    AwaitingQuestion,
    BargedIn,
    ErrorOccurred,
    Event,
    ListeningStarted,
    ListeningStopped,
    ModelProgress,
    ReplyFinished,
    SpeechEnded,
    SpeechIgnored,
    SpeechStarted,
    TranscriptFinal,
    TurnEnded,
    WakeDetected,
)
from assistant.contracts.screen import ScreenImage
from assistant.timings import SCREEN_MARKS, VOICE_MARKS
from assistant.turn_log import TurnLog

log = logging.getLogger("assistant")


def sample_clip() -> Path:
    """The bundled spoken question used by ``assistant demo`` and ``make run``."""
    return Path(str(resources.files("assistant") / "data" / "sample_question.wav"))


# --- output helpers ----------------------------------------------------------------------------------


class Progress:
    """Prints model preparation progress to stderr (one line per message; fractions in place)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._last = ""

    def __call__(self, event: Event) -> None:
        if not self.enabled or not isinstance(event, ModelProgress):
            return
        if event.fraction is None:
            self._line(f"[{event.role}] {event.message}...", final=True)
        else:
            pct = int(event.fraction * 100)
            text = f"[{event.role}] {event.message}: {pct}%"
            if text != self._last:
                self._line(text, final=pct >= 100)

    def _line(self, text: str, final: bool) -> None:
        self._last = text
        if sys.stderr.isatty():
            sys.stderr.write("\r\033[K" + text + ("\n" if final else ""))
        elif final:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()


def _emit_json(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def setup(args) -> Config:
    """Load the settings named on the command line and keep the model libraries quiet and offline."""
    config = load_config(Path(args.config) if args.config else None)
    secure_app_folders()  # the models cache and the data folder are the user's alone, as in the app
    if not config.models.allow_downloads:
        # Offline by policy: the hub libraries must not even try the network.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:
        pass
    return config


def _wait_ready(assistant) -> float:
    t0 = time.monotonic()
    errors = assistant.wait_ready()
    if errors:
        raise errors[0]
    return time.monotonic() - t0


# --- commands ----------------------------------------------------------------------------------------


def cmd_ask(args) -> int:
    from assistant import bootstrap

    adapters = bootstrap.adapters()
    config = setup(args)
    image = ScreenImage.from_file(args.image) if args.image else None  # a bad file fails before models load
    if args.screen:  # what is on the screen now, not once the models have loaded
        image = adapters.capture.capture(args.target or config.screen.target)
        if not args.quiet:
            sys.stderr.write(f"captured {image.source} ({image.width}x{image.height}, {image.capture_ms:.0f} ms)\n")
    speak = bool(args.speak or args.out)
    recorder = adapters.audio.recorder() if args.out else None
    sinks = [s for s in (adapters.audio.speaker() if args.speak else None, recorder) if s is not None]
    sink = (sinks[0] if len(sinks) == 1 else adapters.audio.tee(*sinks)) if sinks else None
    assistant = bootstrap.build_assistant(config, listen=False, speak=speak, sink=sink)
    turns = TurnLog(echo_reply=not args.json)
    assistant.bus.subscribe(turns)
    assistant.bus.subscribe(Progress(not args.quiet))
    try:
        load_s = _wait_ready(assistant)
        turn_id = assistant.ask(args.text, speak=speak, image=image)
        ended = assistant.wait_turn(turn_id)
        if ended is None or ended.outcome != "completed":
            turns.raise_for(turn_id)
        for problem in turns.errors:  # answered all the same, by a fallback: say what failed on the way
            sys.stderr.write(f"warning [{problem.code}]: {problem.message}\n")
        if sink is not None:
            sink.wait_drained()
    finally:
        assistant.shutdown()
    reply = turns.replies.get(turn_id, "")
    if args.out:
        audio, rate = recorder.audio()  # type: ignore[union-attr]
        adapters.audio.write_wav(args.out, audio, rate)
    if args.json:
        timings = {k: v for k, v in (ended.timings_ms if ended else {}).items() if k in SCREEN_MARKS}
        result = {"answer": reply, "backend": turns.backends.get(turn_id, ""), "timings_ms": timings,
                  "models_load_s": round(load_s, 2), "tools": turns.tools.get(turn_id, []),
                  "memory": assistant.memory.used_for(args.text) if assistant.memory is not None else []}
        if captured := turns.captures.get(turn_id):
            result["image"] = {"source": captured.source, "width": captured.width, "height": captured.height,
                               "capture_ms": captured.capture_ms}
        _emit_json(result)
    else:
        sys.stdout.write("\n")
    return 0


def cmd_transcribe(args) -> int:
    from assistant import bootstrap
    from assistant.pipeline.languages import as_written

    adapters = bootstrap.adapters()
    config = setup(args)
    stt = bootstrap.create_stt(config)
    vad = bootstrap.create_vad(config)
    failures = 0
    for file in args.files:
        t0 = time.monotonic()
        try:
            audio = adapters.audio.read(file, max_seconds=config.audio.max_transcribe_s)
            vad.load()
            if vad.speech_fraction(audio, config.vad.threshold) == 0.0:
                raise NoSpeechError(f"No speech heard in {file}.")
            stt.load()
            transcript = stt.transcribe(audio, language=None if config.stt.language == "auto"
                                        else config.stt.language)
            text, _ = as_written(transcript.text, transcript.language, config.stt.chinese_script)
            if not text:
                raise NoSpeechError(f"No speech heard in {file}.")
        except AssistantError as exc:
            failures += 1
            if args.json:
                _emit_json({"file": file, "text": "", "seconds": round(time.monotonic() - t0, 3),
                            "error": {"code": exc.code, "message": exc.message}})
            else:
                sys.stderr.write(f"error [{exc.code}]: {exc.message}\n")
            last_error = exc
            continue
        seconds = round(time.monotonic() - t0, 3)
        if args.json:
            _emit_json({"file": file, "text": text, "seconds": seconds,
                        "duration_s": round(transcript.duration, 3)})
        else:
            prefix = f"{file}: " if len(args.files) > 1 else ""
            sys.stdout.write(f"{prefix}{text}\n")
    if failures:
        return last_error.exit_code if failures == len(args.files) else 1
    return 0


def cmd_say(args) -> int:
    from assistant import bootstrap
    from assistant.contracts.turns import CancelToken
    from assistant.pipeline.sentences import SentenceSplitter

    adapters = bootstrap.adapters()
    config = setup(args)
    if not args.text.strip():
        raise InputError("empty-text", "there is nothing to say: give some text.")
    sink = adapters.audio.recorder() if args.out else adapters.audio.speaker()
    tts = bootstrap.create_tts(config)
    tts.load()
    splitter = SentenceSplitter()
    for piece in splitter.feed(args.text) + splitter.flush():
        for block in tts.synthesize(piece, cancel=CancelToken(0)):
            sink.play(block, tts.sample_rate)
    if args.out:
        audio, rate = sink.audio()
        if len(audio) == 0:
            raise InputError("nothing-to-say", "the text has no words to speak.")
        adapters.audio.write_wav(args.out, audio, rate)
    else:
        sink.wait_drained()
    return 0


def run_voice(config: Config, wav: str, *, out: str | None, timeline: str | None, speak: bool,
              quiet: bool) -> dict:
    """Feed ``wav`` in real time through VAD and the whole streaming turn; returns the JSON result."""
    from assistant import bootstrap

    adapters = bootstrap.adapters()
    source = adapters.audio.file_source(wav, max_seconds=config.audio.max_voice_input_s)  # bad files fail here
    recorder = adapters.audio.recorder()
    sink = adapters.audio.tee(adapters.audio.speaker(), recorder) if speak else recorder
    assistant = bootstrap.build_assistant(config, listen=True, speak=True, sink=sink)
    turns = TurnLog()
    assistant.bus.subscribe(turns)
    assistant.bus.subscribe(Progress(not quiet))
    try:
        load_s = _wait_ready(assistant)
        listener = assistant.listen(source)
        listener.done.wait()
        if listener.error:
            raise listener.error
        for turn_id in list(turns.speech_turns):
            assistant.wait_turn(turn_id)
        sink.wait_drained()
    finally:
        assistant.shutdown()
    if not turns.speech_turns:
        raise NoSpeechError(f"No speech heard in {wav}: nothing was sent to the language model.")
    turn_id = turns.speech_turns[-1]
    turns.raise_for(turn_id)
    ended = turns.ended.get(turn_id)
    timings = {k: v for k, v in (ended.timings_ms if ended else {}).items() if k in VOICE_MARKS}
    if out:
        audio, rate = recorder.audio()
        adapters.audio.write_wav(out, audio, rate)
    if timeline:
        rate = recorder.blocks[0][2] if recorder.blocks else 16000
        adapters.audio.write_wav(timeline, recorder.timeline(source.fed, rate), rate)
    return {
        "transcript": turns.transcripts.get(turn_id, ""),
        "reply": turns.replies.get(turn_id, ""),
        "backend": turns.backends.get(turn_id, ""),
        "timings_ms": {k: timings[k] for k in VOICE_MARKS if k in timings},
        "models_load_s": round(load_s, 2),
    }


def _print_voice(result: dict) -> None:
    sys.stdout.write(f"you said:   {result['transcript']}\n")
    sys.stdout.write(f"assistant:  {result['reply']}\n")
    sys.stdout.write("timings (ms after you stopped speaking):\n")
    for key, value in result["timings_ms"].items():
        sys.stdout.write(f"  {key:<24}{value:>8.0f}\n")


def cmd_voice(args) -> int:
    config = setup(args)
    result = run_voice(config, args.input, out=args.out, timeline=args.timeline, speak=args.speak,
                       quiet=args.quiet)
    if args.json:
        _emit_json(result)
    else:
        _print_voice(result)
    return 0


class ListenPrinter:
    """``assistant listen``: one line per event that matters to someone listening in (JSON with --json)."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.t0 = time.monotonic()

    def __call__(self, event: Event) -> None:
        line = self.describe(event)
        if line is None:
            return
        kind, fields = line
        if self.as_json:
            _emit_json({"event": kind, "t": round(event.t - self.t0, 3), **fields})
        else:
            text = " ".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in fields.items())
            sys.stdout.write(f"{event.t - self.t0:8.2f}s  {kind:<12} {text}\n")
            sys.stdout.flush()

    @staticmethod
    def describe(event: Event) -> tuple[str, dict] | None:
        match event:
            case ListeningStarted():
                return "listening", {"source": event.source}
            case ListeningStopped():
                return "stopped", {"source": event.source}
            case SpeechStarted():
                return "speech_start", {}
            case SpeechEnded():
                return "speech_end", {"turn_id": event.turn_id, "duration": round(event.duration, 2)}
            case WakeDetected():
                return "wake", {"heard": event.heard, "score": event.score}
            case AwaitingQuestion():
                return "awaiting", {"seconds": event.seconds, "reason": event.reason}
            case SpeechIgnored():
                return "ignored", {"reason": event.reason, "duration": round(event.duration, 2)}
            case TranscriptFinal():
                return "transcript", {"turn_id": event.turn_id, "text": event.text}
            case ReplyFinished():
                return "reply", {"turn_id": event.turn_id, "text": event.text, "backend": event.backend}
            case BargedIn():
                return "interrupted", {"turn_id": event.turn_id, "by": "speech"}
            case TurnEnded():
                return "turn_end", {"turn_id": event.turn_id, "outcome": event.outcome,
                                    "timings_ms": {k: v for k, v in event.timings_ms.items() if k in VOICE_MARKS}}
            case ErrorOccurred():
                return "error", {"code": event.code, "message": event.message}
        return None


def cmd_listen(args) -> int:
    """Always-listening mode on the microphone, or on a file played in as if it were the microphone."""
    from assistant import bootstrap

    adapters = bootstrap.adapters()
    config = setup(args)
    if args.input:
        source = adapters.audio.file_source(args.input, max_seconds=config.audio.max_transcribe_s)
    else:
        source = adapters.audio.microphone(config.audio.input_device)
    recorder = adapters.audio.recorder(realtime=True)  # paces replies as a speaker would (barge-in needs that)
    speak = args.speak or not args.input
    sink = adapters.audio.tee(adapters.audio.speaker(config.audio.output_device or None), recorder) if speak \
        else recorder
    assistant = bootstrap.build_assistant(config, listen=True, speak=True, sink=sink)
    assistant.bus.subscribe(Progress(not args.json))
    assistant.bus.subscribe(ListenPrinter(args.json))
    turns = TurnLog()
    assistant.bus.subscribe(turns)
    try:
        _wait_ready(assistant)
        if not args.json:
            sys.stderr.write(f'Listening for "{config.listen.wake_phrase}"' + (" (Ctrl-C to stop)" if not args.input
                                                                              else "") + "...\n")
        listener = assistant.listen(source, wake=True)
        stopped = False
        try:
            listener.done.wait()
        except KeyboardInterrupt:
            stopped = True  # Ctrl-C: stop now, whatever was being said
        if listener.error:
            raise listener.error
        if not stopped:  # the file ran out: let the last answer finish
            for turn_id in assistant.tracker.open_turns():
                assistant.wait_turn(turn_id)
            sink.wait_drained()
    finally:
        assistant.shutdown()
    if args.out:
        audio, rate = recorder.audio()
        adapters.audio.write_wav(args.out, audio, rate)
    return 0


def cmd_demo(args) -> int:
    """One spoken turn on the bundled sample question, headless."""
    config = setup(args)
    clip = sample_clip()
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sys.stderr.write(f"Playing the sample question {clip.name} into the assistant as a microphone would...\n")
    result = run_voice(config, str(clip), out=str(out_dir / "demo_reply.wav"),
                       timeline=str(out_dir / "demo_timeline.wav"), speak=False, quiet=args.quiet)
    _print_voice(result)
    sys.stdout.write(f"spoken reply written to {out_dir / 'demo_reply.wav'} "
                     f"(timeline: {out_dir / 'demo_timeline.wav'})\n")
    return 0


def _screen_reading_check(config: Config) -> tuple[str, bool, str]:
    """The OCR model reads a rendered dialog (questions about the screen depend on it)."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    from assistant import bootstrap
    from assistant.screen_text import layout_text

    image = Image.new("RGB", (640, 160), "white")
    ImageDraw.Draw(image).text((30, 60), "Save changes before closing?", fill="black",
                               font=ImageFont.load_default(size=28))
    try:
        shot = ScreenImage(np.asarray(image, dtype=np.uint8))
        text = layout_text(bootstrap.create_ocr(config).read(shot), shot.width, shot.height)
    except AssistantError as exc:
        return "screen text read", False, f"[{exc.code}] {exc.message}"
    return "screen text read", "save changes" in text.lower(), repr(text)


def cmd_self_test(args) -> int:
    """A spoken turn on the bundled clip with the bundled models, headless: is this installation whole?"""
    import tempfile

    import numpy as np

    from assistant import bootstrap

    adapters = bootstrap.adapters()
    config = setup(args)
    with tempfile.TemporaryDirectory(prefix="assistant-self-test-") as tmp:
        out = Path(tmp) / "reply.wav"
        result = run_voice(config, str(sample_clip()), out=str(out), timeline=None, speak=False, quiet=args.quiet)
        reply_audio = adapters.audio.read(out)
    heard = result["transcript"].lower()
    rms = float(np.sqrt(np.mean(reply_audio ** 2))) if len(reply_audio) else 0.0
    checks = [
        ("speech recognised", "capital" in heard and "france" in heard, repr(result["transcript"])),
        ("question answered", bool(result["reply"].strip()), repr(result["reply"][:80])),
        ("answer spoken", len(reply_audio) > 8000 and rms > 0.005, f"{len(reply_audio) / 16000:.1f} s of audio"),
        _screen_reading_check(config),
    ]
    for name, ok, detail in checks:
        sys.stdout.write(f"{'PASS' if ok else 'FAIL'}  {name:<20} {detail}\n")
    passed = all(ok for _, ok, _ in checks)
    v2v = result["timings_ms"].get("voice_to_voice")
    sys.stdout.write(f"self-test {'passed' if passed else 'FAILED'} (models loaded in {result['models_load_s']:.1f} s"
                     + (f", voice to voice {v2v:.0f} ms" if v2v is not None else "") + ")\n")
    return 0 if passed else 1


def cmd_models(args) -> int:
    from assistant.diagnostics import describe_models

    config = setup(args)
    rows = describe_models(config, prepare=args.prepare, progress=Progress(not args.quiet))
    from assistant.bootstrap import local_servers

    servers = local_servers()
    if args.json:
        _emit_json({"models": rows, "local_servers": [{"label": label, "setting": setting}
                                                      for label, setting in servers]})
    else:
        width = max((len(row["role"]) for row in rows), default=4)
        for row in rows:
            size = f"{row['size_mb']:.0f} MB" if row.get("size_mb") is not None else "-"
            sys.stdout.write(f"{row['role']:<{width}} {row['setting']:<12} {row['status']:<13} {size:>8}  "
                             f"{row['detail']}\n")
            if row.get("place"):
                sys.stdout.write(f"{'':{width}}  at {row['place']}\n")
            if row.get("note"):
                sys.stdout.write(f"{'':{width}}  note: {row['note']}\n")
            if row.get("fix"):
                sys.stdout.write(f"     fix: {row['fix']}\n")
        for label, setting in servers:
            sys.stdout.write(f"server {label}: set llm.model or llm.big_model to {setting}\n")
    return 0 if all(r["status"] != "missing" for r in rows) else 5


def cmd_doctor(args) -> int:
    from assistant.diagnostics import doctor_report

    config = setup(args)
    report = doctor_report(config)
    if args.json:
        _emit_json(report)
    else:
        for section, items in report["sections"].items():
            sys.stdout.write(f"{section}\n")
            for name, (ok, text) in items.items():
                sys.stdout.write(f"  [{'ok' if ok else '!!'}] {name}: {text}\n")
        if report["problems"]:
            sys.stdout.write("\nto fix:\n" + "".join(f"  - {p}\n" for p in report["problems"]))
        else:
            sys.stdout.write("\nthe models and libraries for offline turns are all here.\n")
    return 0 if not report["problems"] else 1


def cmd_bench(args) -> int:
    from assistant.bench import default_clips_dir, format_table, list_clips, run_bench

    config = setup(args)
    folder = Path(args.clips) if args.clips else default_clips_dir()
    if not folder.is_dir():
        raise InputError("bench-clips-missing", f"no clip folder at {folder}; pass one with --clips.")
    clips = list_clips(folder)[: args.limit or None]
    if not clips:
        raise InputError("bench-clips-missing", f"{folder} holds no audio clips.")
    say = (lambda m: None) if args.quiet else (lambda m: sys.stderr.write(m + "\n"))  # stdout: the result
    result = run_bench(config, clips, runs=args.runs, progress=say, baseline=not args.no_baseline,
                       compare=args.compare or "")
    if args.plot:
        from assistant.bench import plot_waterfall

        result["plot"] = str(plot_waterfall(result, Path(args.plot)))
    if args.json:
        _emit_json(result)
    else:
        sys.stdout.write(format_table(result) + "\n")
    return 0


def cmd_eval(args) -> int:
    from assistant.answer_eval import evaluate, format_table, load_questions

    config = setup(args)
    if args.requests:
        return _eval_requests(args, config)
    if args.memory:
        return _eval_memory(args, config)
    questions = load_questions(Path(args.questions) if args.questions else None, args.category)
    questions = questions[: args.limit or None]
    say = (lambda m: None) if args.quiet else (lambda m: sys.stderr.write(m + "\n"))  # stdout: the result
    results = []
    for model in args.model or [config.llm.model]:
        for runtime in args.runtime or [config.llm.runtime]:
            for big in args.big_model or [config.llm.big_model]:
                backend = config.replace("llm", model=model, runtime=runtime, big_model="" if big == "none" else big)
                say(f"asking {len(questions)} questions of {model} ({runtime} runtime)"
                    + (f", routed to {backend.llm.big_model}" if backend.llm.big_model else ""))
                results.append(evaluate(backend, questions, progress=say, tools=args.with_tools))
    if args.json:
        _emit_json({"questions": len(questions), "results": results})
    else:
        sys.stdout.write(format_table(results) + "\n")
    return 0


def _eval_memory(args, config) -> int:
    """``assistant eval --memory``: recall@k of the memory set, first token with and without memory, database size."""
    import tempfile

    from assistant import bootstrap
    from assistant.bus import EventBus
    from assistant.history import HistoryStore
    from assistant.memory_eval import database_size, first_token, format_report, load_set, recall_quality
    from assistant.pipeline.conversation import Conversation

    items = load_set(Path(args.questions) if args.questions else None)[: args.limit or None]
    say = (lambda m: None) if args.quiet else (lambda m: sys.stderr.write(m + "\n"))
    config = config.replace("memory", enabled=True)
    embedder = bootstrap.create_embedder(config)
    embedder.load()
    report: dict = {"embedding_model": embedder.name}
    with tempfile.TemporaryDirectory() as folder:
        history = HistoryStore(Path(folder) / "history.sqlite3")
        memory = bootstrap.create_memory(config, EventBus(), history, embedder=embedder)
        report["recall"] = recall_quality(items, memory, say)
        model = (args.model or [config.llm.model])[0]
        if model != "none":
            backend = config.replace("llm", model=model, big_model="")
            llm = bootstrap.create_llm(backend)
            say(f"loading {model} for the first-token comparison")
            llm.load()
            conversation = Conversation(backend.llm.system_prompt, backend.llm.context_tokens,
                                        backend.llm.max_new_tokens)
            questions = [i.questions[0] for i in items if i.fact][:20]
            report["first_token"] = {"model": model, **first_token(llm, conversation, memory, questions,
                                                                    progress=say)}
        history.close()
    report["database"] = database_size(lambda h: bootstrap.create_memory(config, EventBus(), h, embedder=embedder),
                                       turns=1000, progress=say)
    if args.json:
        _emit_json(report)
    else:
        sys.stdout.write(format_report(report) + "\n")
    return 0


def _eval_requests(args, config) -> int:
    """``assistant eval --requests``: the tool requests, by the matcher and each model's tool calls."""
    from assistant import bootstrap
    from assistant.tool_eval import evaluate, format_summary, load_requests, summary

    requests = load_requests(Path(args.questions) if args.questions else None)[: args.limit or None]
    say = (lambda m: None) if args.quiet else (lambda m: sys.stderr.write(m + "\n"))
    results = []
    for model in args.model or [config.llm.model]:
        for runtime in args.runtime or [config.llm.runtime]:
            for big in args.big_model or [config.llm.big_model]:
                backend = config.replace("llm", model=model, runtime=runtime, big_model="" if big == "none" else big)
                llm = None
                if model != "none":
                    llm = bootstrap.create_llm(backend)
                    llm.load()
                name = "matcher only" if llm is None else f"{model} ({runtime})" + \
                    (f" + {backend.llm.big_model}" if backend.llm.big_model else "")
                say(f"{len(requests)} requests, {name}")
                outcomes = evaluate(llm, requests, backend, progress=say)
                results.append({"model": name, **summary(outcomes),
                                 "outcomes": [{"id": o.request.id, "by": o.by, "tool": o.tool, "arguments": o.arguments,
                                               "right": o.right, "reply": o.reply, "seconds": round(o.seconds, 4)}
                                              for o in outcomes]})
    if args.json:
        _emit_json({"requests": len(requests), "results": results})
    else:
        sys.stdout.write("\n".join(format_summary(r["model"], r) for r in results) + "\n")
    return 0


def cmd_config(args) -> int:
    if args.action == "path":
        sys.stdout.write(f"{Path(args.config) if args.config else config_path()}\n")
        return 0
    config = load_config(Path(args.config) if args.config else None)
    sys.stdout.write(config.to_toml())
    return 0


def cmd_timers(args) -> int:
    """``assistant timers list|cancel ID|cancel-all``: the timers, alarms and reminders in the data folder (the
    running app's too: it never rings one cancelled here)."""
    from datetime import datetime

    from assistant.bus import EventBus
    from assistant.tools.timers import TimerService, default_timers_path, say_duration

    secure_app_folders()
    service = TimerService(EventBus(), default_timers_path())
    try:
        if service.problem is not None:
            raise service.problem
        if args.action == "cancel":
            info = service.cancel(args.id)
            sys.stdout.write(f"cancelled {info.kind} {info.id} ({service.describe(info)})\n")
            return 0
        if args.action == "cancel-all":
            count = service.cancel_all(args.kind)
            sys.stdout.write(f"cancelled {count} {args.kind or 'item'}{'' if count == 1 else 's'}\n")
            return 0
        items = service.recent(200) if args.all else service.pending(args.kind)
        items = [i for i in items if args.kind is None or i.kind == args.kind]
        now = time.time()
        if args.json:
            _emit_json({"timers": [i.as_dict(now) for i in items]})
            return 0
        if not items:
            sys.stdout.write(f"no pending {args.kind or 'timers, alarms or reminders'}\n")
        for info in items:
            due = datetime.fromtimestamp(info.due).strftime("%Y-%m-%d %H:%M:%S")
            left = f"  ({say_duration(info.remaining(now))} left)" if info.state == "pending" else ""
            label = f"  {info.label}" if info.label else ""
            sys.stdout.write(f"{info.id:>5}  {info.kind:<8}  {due}  {info.state:<9}{label}{left}\n")
        return 0
    finally:
        service.stop()


def cmd_memory(args) -> int:
    """``assistant memory list|search|add|forget|export``: what the assistant remembers (the running app's memory
    too: one database)."""
    from assistant import bootstrap
    from assistant.bus import EventBus
    from assistant.memory.store import MemoryFailure
    from assistant.private_files import write_private_text

    config = setup(args)
    memory = bootstrap.create_memory(config, EventBus())
    if memory.store is None:
        raise MemoryFailure("memory-unavailable", memory.problem)
    out = sys.stdout.write
    if args.action == "list":
        facts = memory.facts()
        if args.json:
            _emit_json({"enabled": config.memory.enabled, **memory.store.export()})
            return 0
        if not config.memory.enabled:
            out("memory is off (memory.enabled = false): nothing new is kept\n")
        if not facts:
            out("nothing remembered yet\n")
        for fact in facts:
            out(f"{fact.id:>5}  {fact.updated_at.astimezone():%Y-%m-%d %H:%M}  {fact.text}\n")
        return 0
    if args.action == "add":
        fact, new = memory.remember(args.text, origin="typed")
        out(f"{'remembered' if new else 'already known'}: {fact.id}  {fact.text}\n")
        return 0
    if args.action == "forget":
        if args.all:
            if not args.yes:
                raise InputError("confirmation-needed", "forgetting everything deletes every fact and every past "
                                 "conversation; add --yes to do it.")
            counts = memory.forget_everything()
            out(f"forgot {counts['facts']} facts and {counts['conversations']} conversations\n")
            return 0
        if not args.ids:
            raise InputError("confirmation-needed", "name the facts to forget by their numbers (from `assistant "
                             "memory list`), or --all --yes for everything.")
        known = {f.id: f for f in memory.facts()}
        missing = [i for i in args.ids if i not in known]
        count = memory.forget([known[i] for i in args.ids if i in known])
        out(f"forgot {count} fact{'' if count == 1 else 's'}\n")
        if missing:
            raise MemoryFailure("fact-not-found", f"there is no fact {', '.join(map(str, missing))}; see "
                                "`assistant memory list`.")
        return 0
    if args.action == "export":
        text = memory.store.export_json()
        if args.file:
            write_private_text(Path(args.file), text)
            out(f"wrote {args.file}\n")
        else:
            out(text)
        return 0
    # search: facts and past conversations, by words and (once the model has loaded) by meaning
    memory.index_now()
    facts = memory.find(args.query, k=args.k)
    turns = memory.recall(args.query, k=args.k)
    if args.json:
        _emit_json({"facts": [{"id": s.item.id, "text": s.item.text, "score": round(s.score, 5),
                               "similarity": s.similarity} for s in facts],
                    "turns": [{"id": s.item.id, "conversation_id": s.item.conversation_id,
                               "at": s.item.created_at.isoformat(timespec="seconds"), "question": s.item.question,
                               "answer": s.item.answer, "similarity": s.similarity} for s in turns],
                    "by_meaning": not memory.embedding_problem})
        return 0
    if memory.embedding_problem:
        sys.stderr.write(f"warning: {memory.embedding_problem}\n")
    out("facts:\n" if facts else "no fact fits\n")
    for found in facts:
        out(f"{found.item.id:>5}  {found.item.text}\n")
    out("past conversations:\n" if turns else "no past conversation fits\n")
    for found in turns:
        turn = found.item
        out(f"  {turn.created_at.astimezone():%Y-%m-%d %H:%M}  you: {turn.question}\n"
            f"{'':18}assistant: {turn.answer[:200]}\n")
    return 0


def cmd_tools(args) -> int:
    config = load_config(Path(args.config) if args.config else None)
    return print_mcp_servers(args, config)


def print_mcp_servers(args, config: Config) -> int:
    """``assistant tools``' MCP part: the servers of mcp.json, and with ``--check`` their tools (each server is
    started and stopped again); 1 when an entry is bad or a server did not start."""
    from assistant.tools.mcp_servers import mcp_config_path, report_mcp_servers

    path = mcp_config_path(Path(args.config) if args.config else None)
    report = report_mcp_servers(path, check=args.check, timeout_s=args.timeout)
    report["enabled"] = config.tools.mcp
    if args.json:
        _emit_json({"mcp": report})
    else:
        out = sys.stdout.write
        out(f"MCP servers in {report['path']}" + ("" if config.tools.mcp else " (off: tools.mcp = false)") + "\n")
        if not report["servers"] and not report["problems"]:
            out("  none (add one in Settings > Tools, or in that file)\n")
        for row in report["servers"]:
            out(f"  {row['name']:<16} {row['kind']:<5} {row['target']}\n")
            if args.check:
                out(f"    {row['state']}" + (f": {row['reason']}" if row["reason"] else
                                             f", {len(row['tools'])} tools") + "\n")
                for tool in row["tools"]:
                    asks = " (asks first)" if tool["changes"] else ""
                    out(f"      {tool['name']}{asks}: {tool['description']}\n")
        for name in report["disabled"]:
            out(f"  {name:<16} disabled\n")
        for problem in report["problems"]:
            out(f"  left out: {problem}\n")
    failed = any(row["state"] != "up" for row in report["servers"]) if args.check else False
    return 1 if report["problems"] or failed else 0


# --- entry point -------------------------------------------------------------------------------------


def build_parser(front_end: dict | None = None) -> argparse.ArgumentParser:
    """The command line. ``front_end`` adds the desktop app's commands ("app", "toggle"), which live in
    ``ui`` and are handed in by the ``assistant`` launcher so the core never imports Qt."""
    parser = argparse.ArgumentParser(prog="assistant", description="A local-first voice assistant. With no "
                                     "command, the desktop app starts (or the running one is shown).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--config", help="settings file to use instead of the default one")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    parser.add_argument("--self-test", action="store_true", help="one spoken turn on the bundled clip with the "
                        "bundled models, headless; exit code 0 when this installation works")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    if front_end:
        p = sub.add_parser("app", help="start the desktop app (the default with no command)")
        p.add_argument("--hidden", action="store_true", help="start in the tray, without the main window")
        p.add_argument("--no-hotkeys", action="store_true", help="do not grab global hotkeys")
        p.set_defaults(func=front_end["app"])
        p = sub.add_parser("toggle", help="show or hide the running app's launcher (bind this to a key on "
                           "Wayland)")
        p.add_argument("action", nargs="?", default="toggle", choices=["toggle", "show", "listen", "settings", "quit"])
        p.set_defaults(func=front_end["toggle"])

    p = sub.add_parser("ask", help="answer a typed question")
    p.add_argument("text")
    p.add_argument("--speak", action="store_true", help="also speak the answer on the speaker")
    p.add_argument("--out", help="write the spoken answer to this WAV file")
    p.add_argument("--json", action="store_true", help="print one JSON object: answer, backend, timings_ms")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--screen", action="store_true", help="ask about what is on the screen now")
    where.add_argument("--image", metavar="FILE", help="ask about this image (PNG, JPEG...)")
    p.add_argument("--target", choices=["screen", "window", "all"], help="with --screen: the screen under the "
                   "pointer, the active window, or all screens (default: the screen.target setting)")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("transcribe", help="speech to text for audio files")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="one JSON object per file: file, text, seconds")
    p.set_defaults(func=cmd_transcribe)

    p = sub.add_parser("say", help="speak text (to the speaker, or to a WAV file)")
    p.add_argument("text")
    p.add_argument("--out", help="write a WAV file instead of playing")
    p.set_defaults(func=cmd_say)

    p = sub.add_parser("voice", help="one spoken turn from a file fed in real time, like a microphone")
    p.add_argument("--in", dest="input", required=True, help="the spoken question (any audio file)")
    p.add_argument("--out", help="write the spoken reply to this WAV file")
    p.add_argument("--timeline", help="write a 2-channel WAV: input as fed, and the reply, on one clock")
    p.add_argument("--speak", action="store_true", help="also play the reply on the speaker")
    p.add_argument("--json", action="store_true", help="print one JSON object: transcript, reply, timings_ms")
    p.set_defaults(func=cmd_voice)

    p = sub.add_parser("listen", help="always listening: answers what follows the wake phrase; one line per event")
    p.add_argument("--in", dest="input", help="listen to this audio file as if it were the microphone")
    p.add_argument("--json", action="store_true", help="one JSON object per event: wake, speech start and end, "
                   "transcript, reply, interrupted, ...")
    p.add_argument("--out", help="write the spoken replies to this WAV file")
    p.add_argument("--speak", action="store_true", help="with --in: also play the replies on the speaker")
    p.set_defaults(func=cmd_listen)

    p = sub.add_parser("demo", help="one spoken turn on the bundled sample question (no devices needed)")
    p.add_argument("--out-dir", default=".", help="where to write demo_reply.wav and demo_timeline.wav")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("self-test", help="the same as --self-test")
    p.set_defaults(func=cmd_self_test)

    p = sub.add_parser("bench", help="latency of the real-time voice path over a folder of clips")
    p.add_argument("--clips", help="folder of clips (default: the repository's eval/speech)")
    p.add_argument("--runs", type=int, default=3, help="passes over the clips (the first turn is cold)")
    p.add_argument("--limit", type=int, default=0, help="use only the first N clips")
    p.add_argument("--plot", help="draw the per-stage waterfall to this PNG")
    p.add_argument("--no-baseline", action="store_true", help="skip the sequential baseline")
    p.add_argument("--compare", metavar="vad.NAME=VALUE", help="also run every clip with this vad setting, "
                   "alternating with the settings as they are, and report the paired differences per stage")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("eval", help="answer quality over a question set, per model: accuracy and first-token "
                       "latency")
    p.add_argument("--questions", help="a JSON-lines question set (default: the bundled everyday set)")
    p.add_argument("--category", action="append", help="only this category (repeatable)")
    p.add_argument("--model", action="append", help="an llm.model to evaluate (repeatable; default: the settings')")
    p.add_argument("--runtime", action="append", choices=("auto", "ctranslate2", "transformers"),
                   help="an llm.runtime to evaluate each model on (repeatable; default: the settings')")
    p.add_argument("--big-model", action="append", help="an llm.big_model to route hard questions to (repeatable; "
                   "\"none\": the model alone; default: the settings')")
    p.add_argument("--limit", type=int, default=0, help="ask only the first N questions")
    p.add_argument("--with-tools", action="store_true", help="ask as a typed turn does: the intent matcher first "
                   "(the clock, sums, units...), then the model with the tools that fit the question")
    p.add_argument("--requests", action="store_true", help="the tool requests instead (timers, the clock, sums, "
                   "units, apps): right by the intent matcher, by the model's tool calls, overall; --model none: "
                   "the matcher alone")
    p.add_argument("--memory", action="store_true", help="the memory instead: recall@1/@3 of facts for paraphrased "
                   "questions (by words, by meaning, both), what goes into prompts, the first token with and without "
                   "memory (--model none: skipped), the database size per 1,000 turns")
    p.add_argument("--json", action="store_true", help="one JSON object with every answer")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("models", help="what each model setting resolves to")
    p.add_argument("--json", action="store_true")
    p.add_argument("--prepare", action="store_true", help="join, convert or download models now")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("doctor", help="check hardware, audio and models")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("tools", help="the MCP servers in mcp.json (beside the settings file); --check starts them "
                       "and lists their tools")
    p.add_argument("--check", action="store_true", help="start each server, list its tools, and stop it again")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds a server may take to start (default 30)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_tools)

    p = sub.add_parser("timers", help="the timers, alarms and reminders: list them, cancel one or all")
    timer_actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    q = timer_actions.add_parser("list", help="the pending ones, soonest first (--all: the latest done ones too)")
    q.add_argument("--all", action="store_true", help="also the fired, missed and cancelled ones (latest first)")
    q.add_argument("--kind", choices=["timer", "alarm", "reminder"])
    q.add_argument("--json", action="store_true", help="one JSON object: the list, with each one's seconds left")
    q = timer_actions.add_parser("cancel", help="cancel one by its number (from `assistant timers list`)")
    q.add_argument("id", type=int)
    q = timer_actions.add_parser("cancel-all", help="cancel every pending one (or every one of a kind)")
    q.add_argument("--kind", choices=["timer", "alarm", "reminder"])
    p.set_defaults(func=cmd_timers)

    p = sub.add_parser("memory", help="what the assistant remembers: list, search, add, forget, export")
    memory_actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    q = memory_actions.add_parser("list", help="every remembered fact, newest first, with its number")
    q.add_argument("--json", action="store_true")
    q = memory_actions.add_parser("search", help="the facts and past conversations that fit a query, by meaning")
    q.add_argument("query")
    q.add_argument("-k", type=int, default=3, help="how many of each (default 3)")
    q.add_argument("--json", action="store_true")
    q = memory_actions.add_parser("add", help="remember a fact (as \"remember that ...\" does)")
    q.add_argument("text")
    q = memory_actions.add_parser("forget", help="forget facts by their numbers, or --all --yes: everything")
    q.add_argument("ids", nargs="*", type=int)
    q.add_argument("--all", action="store_true", help="every fact and every past conversation")
    q.add_argument("--yes", action="store_true", help="with --all: really")
    q = memory_actions.add_parser("export", help="every fact as JSON (to stdout, or to a file only you can read)")
    q.add_argument("file", nargs="?")
    p.set_defaults(func=cmd_memory)

    p = sub.add_parser("config", help="where the settings live, and what they are")
    p.add_argument("action", choices=["path", "show"])
    p.set_defaults(func=cmd_config)
    return parser


def main(argv: list[str] | None = None, front_end: dict | None = None) -> int:
    parser = build_parser(front_end)
    args = parser.parse_args(argv)
    logging.basicConfig(level=[logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)],
                        format="%(levelname)s %(name)s: %(message)s")
    if args.self_test:
        args.func = cmd_self_test
    if not getattr(args, "func", None):
        if not front_end:
            parser.print_help()
            return 0
        args = parser.parse_args([*(argv if argv is not None else sys.argv[1:]), "app"])
    try:
        return int(args.func(args) or 0)
    except AssistantError as exc:
        if args.verbose:
            log.exception("failed")
        sys.stderr.write(f"error [{exc.code}]: {exc.message}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except Exception as exc:  # a bug: say so plainly, keep the traceback for -v
        if args.verbose:
            log.exception("unexpected failure")
        sys.stderr.write(f"error [internal]: {type(exc).__name__}: {exc}. Run again with -v for details, "
                         "and please report it.\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
