"""The frozen app's entry point (PyInstaller): the same `assistant` command as the installed package."""

import multiprocessing
import sys

if __name__ == "__main__":
    # Frozen executables re-run themselves for every multiprocessing child (torch, tokenizers, PortAudio
    # helpers may spawn); without this each child would start another copy of the app.
    multiprocessing.freeze_support()
    from ui.entry import main

    sys.exit(main())
