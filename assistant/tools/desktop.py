"""The desktop family: open an app, a folder, a file or a link, and read or set the clipboard, through the
``DesktopActions`` port (the desktop adapter, or the Qt front-end's). Everything but reading the clipboard changes
something on the user's desktop, so it asks first unless allowed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import platformdirs

from assistant.contracts.tools import DesktopActions, Tool, ToolCall, ToolContext, ToolError, ToolResult
from assistant.tools.intents import Heard

# The folders people name, and where they are on this system.
_FOLDERS: dict[str, Callable[[], str]] = {
    "downloads": platformdirs.user_downloads_dir, "download": platformdirs.user_downloads_dir,
    "documents": platformdirs.user_documents_dir, "document": platformdirs.user_documents_dir,
    "pictures": platformdirs.user_pictures_dir, "photos": platformdirs.user_pictures_dir,
    "music": platformdirs.user_music_dir, "videos": platformdirs.user_videos_dir,
    "movies": platformdirs.user_videos_dir, "desktop": platformdirs.user_desktop_dir,
    "home": lambda: str(Path.home()),
}
_POLITE = r"^(?:hey |ok |okay )?(?:(?:can|could|would) you )?(?:please )?"
_OPEN_FOLDER = re.compile(_POLITE + r"(?:open|show(?: me)?|go to)\s+(?:up\s+)?(?:my\s+|the\s+)?"
                          r"(?P<folder>" + "|".join(_FOLDERS) + r")(?:\s+(?:folder|directory))?(?: please)?$")
_OPEN_LINK = re.compile(_POLITE + r"(?:open|go to|visit|browse to|take me to)\s+(?:the\s+)?(?:website\s+|site\s+)?"
                        r"(?P<url>(?:https?://)?(?:[a-z0-9-]+\.)+[a-z]{2,}(?:/\S*)?)(?: please)?$")
_OPEN_APP = re.compile(_POLITE + r"(?:open|launch|start|run)\s+(?:up\s+)?(?:the\s+|my\s+)?"
                       r"(?P<app>[a-z0-9][\w .+-]{0,40}?)"
                       r"(?:\s+app(?:lication)?)?(?: for me)?(?: please)?$")
_READ_CLIPBOARD = re.compile(_POLITE + r"(?:(?:read|tell me|say)\s+(?:out\s+)?(?:me\s+)?"
                             r"(?:what(?:'s| is)? (?:on|in) (?:my|the) clipboard|(?:my|the) clipboard"
                             r"|what i(?: just| have)? copied|what i've copied)"
                             r"|what(?:'s| is) (?:on|in) (?:my|the) clipboard|what did i (?:just )?copy)(?: please)?$")
_WRITE_CLIPBOARD = re.compile(_POLITE + r"copy\s+(?P<text>.+?)\s+(?:to|into|onto)\s+(?:my|the)\s+clipboard$")


class Desktop:
    """The desktop family on a ``DesktopActions`` adapter."""

    def __init__(self, actions: DesktopActions) -> None:
        self.actions = actions

    def open_folder(self, arguments: Mapping[str, Any], context: ToolContext | None = None) -> ToolResult:
        name = str(arguments["folder"]).strip()
        spoken = re.sub(r"^(?:my|the)\s+|\s+(?:folder|directory)$", "", name.lower()).strip()
        where = _FOLDERS.get(spoken)
        name = spoken if where else name
        path = Path(where() if where else name).expanduser()
        if not path.exists():
            raise ToolError("path-not-found", f"there is no {name.capitalize() if where else repr(name)} folder at "
                            f"{path}.")
        self.actions.open_path(str(path))
        return ToolResult(f"Opened {'your ' + name.capitalize() if where else path.name} folder.", {"path": str(path)})

    def open_file(self, arguments: Mapping[str, Any], context: ToolContext | None = None) -> ToolResult:
        path = Path(str(arguments["path"]).strip()).expanduser()
        if not path.is_file():
            raise ToolError("path-not-found", f"there is no file at {path}.")
        self.actions.open_path(str(path))
        return ToolResult(f"Opened {path.name}.", {"path": str(path)})

    def open_link(self, arguments: Mapping[str, Any], context: ToolContext | None = None) -> ToolResult:
        url = str(arguments["url"]).strip()
        if not re.match(r"^[a-z][a-z0-9+.-]*://", url):
            url = "https://" + url
        if not url.startswith(("https://", "http://")):
            raise ToolError("link-invalid", f"I only open web links, not {url!r}.")
        self.actions.open_url(url)
        return ToolResult(f"Opened {re.sub(r'^https?://', '', url).rstrip('/')}.", {"url": url})

    def open_app(self, arguments: Mapping[str, Any], context: ToolContext | None = None) -> ToolResult:
        name = self.actions.launch_app(str(arguments["name"]))
        return ToolResult(f"Opening {name}.", {"app": name})

    def read_clipboard(self, arguments: Mapping[str, Any], context: ToolContext | None = None) -> ToolResult:
        text = self.actions.clipboard_text().strip()
        if not text:
            return ToolResult("The clipboard is empty.", {"text": ""})
        shown = text if len(text) <= 600 else text[:600].rsplit(" ", 1)[0] + "… and more"
        return ToolResult(f"Your clipboard says: {shown}", {"text": text[:4000]})

    def write_clipboard(self, arguments: Mapping[str, Any], context: ToolContext | None = None) -> ToolResult:
        text = str(arguments["text"])
        self.actions.set_clipboard_text(text)
        return ToolResult("Copied to the clipboard.", {"chars": len(text)})

    def tools(self) -> list[Tool]:
        obj = "object"
        return [
            Tool("desktop.open_folder", "Open a folder (downloads, documents, pictures, music, videos, desktop, "
                 "home, or a path) in the file manager.",
                 {"type": obj, "properties": {"folder": {"type": "string", "minLength": 1}}, "required": ["folder"],
                  "additionalProperties": False}, self.open_folder, changes=True, family="desktop",
                 ask=lambda a: f"Open your {str(a.get('folder', '')).capitalize()} folder?",
                 keywords=("folder", "directory", "downloads", "documents", "files")),
            Tool("desktop.open_file", "Open a file (by its path) with its default application.",
                 {"type": obj, "properties": {"path": {"type": "string", "minLength": 1}}, "required": ["path"],
                  "additionalProperties": False}, self.open_file, changes=True, family="desktop",
                 ask=lambda a: f"Open {Path(str(a.get('path', ''))).name}?",
                 keywords=("file", "document", "pdf", "spreadsheet")),
            Tool("desktop.open_link", "Open a web page in the browser.",
                 {"type": obj, "properties": {"url": {"type": "string", "minLength": 3}}, "required": ["url"],
                  "additionalProperties": False}, self.open_link, changes=True, family="desktop",
                 ask=lambda a: f"Open {a.get('url', '')}?",
                 keywords=("website", "link", "browser", "page", "url", "site")),
            Tool("desktop.open_app", "Start an installed application by its name.",
                 {"type": obj, "properties": {"name": {"type": "string", "minLength": 1}}, "required": ["name"],
                  "additionalProperties": False}, self.open_app, changes=True, family="desktop",
                 ask=lambda a: f"Open {self.actions.find_app(str(a.get('name', ''))) or a.get('name', '')}?",
                 keywords=("open", "launch", "start", "app", "application", "program")),
            Tool("clipboard.read", "Read the text on the clipboard.",
                 {"type": obj, "properties": {}, "additionalProperties": False}, self.read_clipboard,
                 family="clipboard", keywords=("clipboard", "copied", "paste")),
            Tool("clipboard.write", "Put text on the clipboard.",
                 {"type": obj, "properties": {"text": {"type": "string"}}, "required": ["text"],
                  "additionalProperties": False}, self.write_clipboard, changes=True, family="clipboard",
                 ask=lambda a: "Put that text on the clipboard?",
                 keywords=("clipboard", "copy")),
        ]

    def matchers(self) -> list[Callable[[Heard], ToolCall | None]]:
        return [self._match]

    def _match(self, heard: Heard) -> ToolCall | None:
        text = heard.text.lower().strip().rstrip(".!?")
        if _READ_CLIPBOARD.match(heard.norm):
            return ToolCall("clipboard.read", {})
        found = _WRITE_CLIPBOARD.match(text)
        if found:
            return ToolCall("clipboard.write", {"text": heard.text.strip().rstrip(".!?")[found.start("text"):
                                                                                     found.end("text")]})
        found = _OPEN_FOLDER.match(heard.norm)
        if found:
            return ToolCall("desktop.open_folder", {"folder": found.group("folder")})
        found = _OPEN_LINK.match(text)
        if found:
            return ToolCall("desktop.open_link", {"url": found.group("url")})
        found = _OPEN_APP.match(heard.norm)
        if found:
            app = found.group("app").strip()
            if self.actions.find_app(app) is not None:  # sure only of an app that is installed
                return ToolCall("desktop.open_app", {"name": app})
        return None

