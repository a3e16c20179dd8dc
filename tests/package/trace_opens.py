"""Runs the `assistant` command (arguments after the script's own) and writes every file it opened, as JSON, to
$TRACE_OPENS_OUT: the app as the frozen build runs it, seen through Python's audit hooks (PEP 578)."""

import atexit
import json
import os
import sys

opened: set[str] = set()


def _record(event: str, args: tuple) -> None:
    if event == "open" and isinstance(args[0], str | bytes | os.PathLike):
        opened.add(os.fsdecode(args[0]))
    elif event == "ctypes.dlopen" and isinstance(args[0], str):
        opened.add(args[0])


@atexit.register
def _write() -> None:
    with open(os.environ["TRACE_OPENS_OUT"], "w") as out:
        json.dump(sorted(opened), out)


if __name__ == "__main__":
    sys.addaudithook(_record)
    from ui.entry import main

    sys.exit(main(sys.argv[1:]))
