"""Timers, alarms and reminders that are real: kept in a SQLite file, fired by a scheduler thread, spoken.

``TimerService(bus, path)`` owns the store (``timers.sqlite3`` in the data folder: the folder 0700, the files
0600; WAL, every change committed at once, so a kill -9 loses nothing) and a scheduler thread ("timers") that
sleeps on a Condition until the next due time and publishes ``TimerFired`` and ``TimersChanged``. What came due
while the app was not running is announced once, as missed, when the service starts.

A timer runs for a duration (it fires when that much time has passed, whichever of the wall clock and the
machine's own elapsed-time clock says so first: a suspended laptop wakes to a finished timer, and setting the
clock back does not delay one); an alarm and a reminder fire at a time of the wall clock (setting the clock
forward brings them sooner; the scheduler looks at the wall clock at least every ``MAX_WAIT_S``).

``service.tools()`` are the tools (``timers.start``, ``timers.cancel``, ``timers.list``, ``timers.extend``,
``alarms.set``, ``reminders.add``), ``service.matchers()`` the local intents for the common spoken forms ("set
a timer for 10 minutes", "wake me up at 6:45", "remind me in 20 minutes to check the oven", "cancel the timer",
"how much time is left"). Times are parsed from the words said: durations by the regular expressions here,
clock times here too, and a named day ("on Friday", "March 5") by ``dateparser``, given only that phrase.

Several processes may open the same file (the app and ``assistant timers``): an item fires only if it is still
pending in the file at that moment, so one cancelled elsewhere never rings, and none rings twice.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from assistant.bus import EventBus
from assistant.config import app_folders, data_dir
from assistant.contracts.events import ErrorOccurred, TimerFired, TimersChanged
from assistant.contracts.tools import Tool, ToolCall, ToolContext, ToolError, ToolResult
from assistant.private_files import create_private_file, private_dir, private_file
from assistant.tools.intents import Heard, Matcher

log = logging.getLogger(__name__)

KINDS = ("timer", "alarm", "reminder")
STATES = ("pending", "fired", "cancelled", "missed")
MAX_WAIT_S = 30.0  # the longest the scheduler sleeps while something is pending: a wall clock set forward is seen
MISSED_AFTER_S = 60.0  # due longer ago than this when the service starts: announced as missed (else just late)
KEEP_DONE_DAYS = 30  # fired, missed and cancelled rows are kept this long (the CLI lists them), then deleted
MAX_TIMER_S = 7 * 86400.0
MAX_AHEAD_S = 366 * 86400.0  # an alarm or reminder at most a year ahead
MAX_TEXT = 500
DEFAULT_HOUR = 9  # "remind me tomorrow to ..." with no time: 9 am

_MIGRATIONS: list[tuple[str, ...]] = [
    (
        """CREATE TABLE timers (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            label TEXT NOT NULL DEFAULT '',
            due REAL NOT NULL,
            created REAL NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending',
            duration REAL,
            done_at REAL
        )""",
        "CREATE INDEX timers_pending ON timers(state, due)",
    ),
]
SCHEMA_VERSION = len(_MIGRATIONS)


def default_timers_path() -> Path:
    return data_dir() / "timers.sqlite3"


def _elapsed() -> float:
    """Seconds on a clock that nobody sets and that runs on while the machine sleeps (Linux), for timers."""
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    return time.clock_gettime(boottime) if boottime is not None else time.monotonic()


@dataclass(frozen=True, slots=True)
class TimerInfo:
    """One stored timer, alarm or reminder. ``due``/``created``: wall-clock epoch seconds; ``duration``: what a
    timer was set for (None for alarms and reminders); ``label``: a timer's or alarm's name, a reminder's text."""

    id: int
    kind: str
    label: str
    due: float
    created: float
    state: str
    duration: float | None = None

    def remaining(self, now: float) -> float:
        return max(0.0, self.due - now)

    def as_dict(self, now: float | None = None) -> dict:
        data = {"id": self.id, "kind": self.kind, "label": self.label, "due": round(self.due, 3),
                "created": round(self.created, 3), "state": self.state, "duration": self.duration}
        if now is not None:
            data["remaining_s"] = round(self.remaining(now), 1)
        return data


# --- speaking durations and times --------------------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def say_duration(seconds: float, *, precise: bool = True) -> str:
    """ "10 minutes", "1 hour 30 minutes", "4 minutes 12 seconds" (``precise=False``: no seconds past a minute,
    rounded up, for what is left of a long timer)."""
    total = max(0, round(seconds))
    if not precise and total >= 3600:
        total = -(-total // 60) * 60  # whole minutes, rounded up: "1 hour 20 minutes left" until it is 19
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [_plural(n, w) for n, w in ((days, "day"), (hours, "hour"), (minutes, "minute"), (secs, "second")) if n]
    return " ".join(parts) if parts else "0 seconds"


def _timer_name(seconds: float) -> str:
    """ "10 minute" (as in "your 10 minute timer"), "1 hour 30 minute"."""
    return re.sub(r"(\w+)s\b", r"\1", say_duration(seconds))


_TWELVE_HOUR_REGIONS = {"US", "CA", "AU", "NZ", "PH", "IN", "PK", "EG", "SA", "BD", "MY", "CO", "MX"}


def twelve_hour_locale() -> bool:
    """Whether the user's locale says "5 pm" rather than "17:00" (LC_ALL, LC_TIME, LANG; C and unset: 12 h, as
    the assistant speaks English)."""
    value = next((os.environ[k] for k in ("LC_ALL", "LC_TIME", "LANG") if os.environ.get(k)), "")
    name = value.split(".")[0].split("@")[0]
    if name in ("", "C", "POSIX"):
        return True
    region = name.split("_")[1].upper() if "_" in name else ""
    return region in _TWELVE_HOUR_REGIONS


def say_clock(moment: datetime, *, twelve_hour: bool) -> str:
    """ "5 pm", "7:30 am", "noon", "midnight" (12 h) or "17:00", "7:30" (24 h)."""
    if twelve_hour:
        if moment.minute == 0 and moment.hour in (0, 12):
            return "midnight" if moment.hour == 0 else "noon"
        hour = moment.hour % 12 or 12
        minutes = f":{moment.minute:02d}" if moment.minute else ""
        return f"{hour}{minutes} {'am' if moment.hour < 12 else 'pm'}"
    return f"{moment.hour}:{moment.minute:02d}"


def say_day(moment: datetime, now: datetime) -> str:
    """ "" (today), "tomorrow", "yesterday", "on Friday" (within a week), "on March 5"."""
    days = (moment.date() - now.date()).days
    if days == 0:
        return ""
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    if 1 < days < 7:
        return f"on {moment.strftime('%A')}"
    if -7 < days < -1:
        return f"last {moment.strftime('%A')}"
    text = f"on {moment.strftime('%B')} {moment.day}"
    return text if moment.year == now.year else f"{text}, {moment.year}"


def say_when(epoch: float, now: float, *, twelve_hour: bool) -> str:
    """ "5 pm", "7 am tomorrow", "9:30 am on Friday"."""
    moment, today = datetime.fromtimestamp(epoch), datetime.fromtimestamp(now)
    day = say_day(moment, today)
    return say_clock(moment, twelve_hour=twelve_hour) + (f" {day}" if day else "")


# --- parsing what was said --------------------------------------------------------------------------------------

_UNITS = {"w": 604800, "week": 604800, "d": 86400, "day": 86400, "h": 3600, "hr": 3600, "hour": 3600, "m": 60,
          "min": 60, "minute": 60, "s": 1, "sec": 1, "second": 1}
_UNIT = r"(?:weeks?|days?|hours?|hrs?|minutes?|mins?|seconds?|secs?|[wdhms])"
_NUM = r"\d+(?:\.\d+)?"
_FRACTIONS = {"a half": 0.5, "half": 0.5, "a quarter": 0.25, "quarter": 0.25, "3 quarters": 0.75,
              "three quarters": 0.75}
_FRACTION = r"(?:a half|a quarter|3 quarters|three quarters)"
_SEGMENT = re.compile(rf"({_NUM})(?: and ({_FRACTION}))? ?({_UNIT})(?: and ({_FRACTION}))?\b")
_WORD_DURATIONS = (
    (r"\bhalf an? hour\b|\bhalf hour\b", "30 minutes"),
    (r"\b(?:a )?quarter of an? hour\b|\bquarter hour\b", "15 minutes"),
    (r"\b(?:3|three) quarters of an? hour\b", "45 minutes"),
    (r"\bhalf a minute\b", "30 seconds"),
    (r"\ban? (hour|minute|second|day|week)\b", r"1 \1"),
    (r"\b(hour|minute|second|day|week)s? and a half\b", r"\1 and a half"),
)


def parse_duration(text: str) -> float | None:
    """Seconds in a spoken duration ("10 minutes", "1 hour and 30 minutes", "2 and a half minutes", "90 seconds",
    "half an hour", "1 hour 20", "5-minute"); None unless the whole text is one."""
    phrase = text.strip().lower().replace("-", " ")
    phrase = re.sub(r"^(?:for|of|in) ", "", phrase)
    for pattern, replacement in _WORD_DURATIONS:
        phrase = re.sub(pattern, replacement, phrase)
    total, last_unit, end = 0.0, None, 0
    for match in _SEGMENT.finditer(phrase):
        gap = phrase[end:match.start()]
        if gap.strip(" ,") not in ("", "and"):
            return None
        number, before, unit, after = match.groups()
        scale = _UNITS[unit.rstrip("s") if len(unit) > 1 else unit]
        if last_unit is not None and scale >= last_unit:
            return None  # "5 minutes 2 hours": not how anyone says one duration
        total += (float(number) + _FRACTIONS.get(before or after or "", 0.0)) * scale
        last_unit, end = scale, match.end()
    if last_unit is None:
        return None
    rest = phrase[end:].strip(" ,")
    rest = re.sub(r"^and ", "", rest)
    if rest:  # "1 hour 20": the next unit down
        if not re.fullmatch(r"\d{1,2}", rest) or last_unit <= 1:
            return None
        smaller = {604800: 86400, 86400: 3600, 3600: 60, 60: 1}[last_unit]
        if int(rest) >= last_unit // smaller:
            return None  # "1 minute 90"
        total += int(rest) * smaller
    return total if total > 0 else None


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?" \
         r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_ORDINAL = r"\d{1,2}(?:st|nd|rd|th)?"
_PART = r"(?:morning|afternoon|evening|night)"
# The phrases naming a day that go to dateparser (today, tonight and tomorrow are read here).
_NAMED_DAY = re.compile(
    rf"(?:on |next |this |coming )?(?:{'|'.join(_WEEKDAYS)})"
    rf"|(?:on )?(?:the )?{_ORDINAL}(?: of)? {_MONTH}(?: \d{{4}})?"
    rf"|(?:on )?{_MONTH} (?:the )?{_ORDINAL}(?: \d{{4}})?"
    rf"|(?:on )?\d{{4}}-\d{{2}}-\d{{2}}")
_DAY = re.compile(
    rf"^(?:(?P<rel>today|tonight|tomorrow|the day after tomorrow|day after tomorrow)"
    rf"|this (?P<this>{_PART})"
    rf"|(?P<named>{_NAMED_DAY.pattern}))(?: (?:in the |at )?(?P<part>{_PART}))?$")
_MERIDIEM = r"(?:am|pm|a m|p m|a\.m\.?|p\.m\.?|o'clock|oclock|hours)"
_CLOCK = re.compile(
    rf"(?P<special>noon|midday|midnight)"
    rf"|(?P<frac>quarter|half|\d{{1,2}}) (?P<dir>past|after|to|till|before) (?P<fhour>\d{{1,2}}|noon|midnight)"
    rf"(?: ?(?P<fmer>{_MERIDIEM}))?"
    rf"|(?P<hour>\d{{1,2}})(?:[:.](?P<min>\d{{2}})| (?P<min2>[0-5]\d)(?!\d| ?{_UNIT}\b))?(?: ?(?P<mer>{_MERIDIEM}))?"
    rf"|(?P<hhmm>[01]\d|2[0-3])(?P<mm>[0-5]\d)(?: hours)?")


@dataclass(frozen=True, slots=True)
class _Clock:
    hour: int  # 0-23 when ``fixed``, else 1-12 (am or pm unknown)
    minute: int
    fixed: bool


def _clock_of(match: re.Match) -> _Clock | None:
    g = match.groupdict()
    if g["special"]:
        return _Clock(0 if g["special"] == "midnight" else 12, 0, True)
    if g["hhmm"]:
        return _Clock(int(g["hhmm"]), int(g["mm"]), True)
    if g["frac"]:
        offset = {"quarter": 15, "half": 30}.get(g["frac"]) or int(g["frac"])
        if offset >= 60:
            return None
        hour_word, meridiem = g["fhour"], g["fmer"]
        base = {"noon": (12, True), "midnight": (0, True)}.get(hour_word)
        hour = base[0] if base else int(hour_word)
        if hour > 23:
            return None
        minutes = hour * 60 + (offset if g["dir"] in ("past", "after") else -offset)
        fixed = bool(base) or hour > 12 or hour == 0
        clock = _Clock(*divmod(minutes % 1440, 60), fixed)
        if meridiem and not fixed:
            clock = _with_meridiem(clock, meridiem)
        if not clock.fixed and clock.hour == 0:
            clock = _Clock(12, clock.minute, False)  # "quarter to 1" -> 12:45, am or pm
        return clock
    hour, minute = int(g["hour"]), int(g["min"] or g["min2"] or 0)
    if hour > 24 or minute > 59:
        return None
    meridiem = g["mer"]
    if hour == 24:
        hour = 0
    if hour > 12 or hour == 0 or (g["min"] and len(g["hour"]) == 2 and g["hour"].startswith("0")):
        return None if meridiem and meridiem not in ("o'clock", "oclock", "hours") else _Clock(hour, minute, True)
    clock = _Clock(hour, minute, False)
    return _with_meridiem(clock, meridiem) if meridiem else clock


def _with_meridiem(clock: _Clock, meridiem: str) -> _Clock:
    m = meridiem.replace(".", "").replace(" ", "")
    if m == "am":
        return _Clock(clock.hour % 12, clock.minute, True)
    if m == "pm":
        return _Clock(clock.hour % 12 + 12, clock.minute, True)
    if m == "hours":
        return _Clock(clock.hour, clock.minute, True)
    return clock  # "o'clock" says nothing about am or pm


def _unclear(phrase: str) -> ToolError:
    return ToolError("timer-time-unclear", f"I couldn't tell when{f' {phrase!r} is' if phrase else ''}: say a time "
                     "like 'at 5 pm' or 'in 20 minutes'.")


def _named_day(phrase: str, now: datetime) -> date | None:
    """A weekday or a date ("on Friday", "March 5th", "the 3rd of June") by dateparser, in the future."""
    import dateparser

    words = re.sub(r"^(?:on|this|coming) ", "", phrase)
    words = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", words).replace(" the ", " ")
    words = re.sub(r"^the ", "", words)
    found = dateparser.parse(words, languages=["en"], settings={
        "PREFER_DATES_FROM": "future", "RELATIVE_BASE": now.replace(hour=0, minute=0, second=0, microsecond=0),
        "RETURN_AS_TIMEZONE_AWARE": False, "PREFER_DAY_OF_MONTH": "first"})
    if found is None:
        return None
    day = found.date()
    if phrase.startswith("next ") and (day - now.date()).days < 7 and any(w in phrase for w in _WEEKDAYS):
        pass  # "next friday": dateparser already gives the coming one; people mean that as often as not
    return day


def parse_when(phrase: str, now: datetime, *, kind: str = "alarm") -> datetime:
    """The moment a spoken time names, in local time after ``now`` (naive, local): "7 am", "7:30", "at 6" (the
    next 6 o'clock, am or pm), "in 20 minutes", "tomorrow at 9 am", "on Friday at 3 pm", "tonight at 8", "noon",
    "quarter past 6". ``kind`` "reminder": an hour from 1 to 6 without am or pm is taken as pm. Raises ToolError
    "timer-time-unclear" or "timer-time-passed"."""
    text = " ".join(phrase.lower().replace(",", " ").split())
    text = re.sub(r"^(?:at|for|on|by|to) ", "", text)
    text = re.sub(r"\b(\d{1,2}) ?o ?'?clock\b", r"\1 o'clock", text)
    text = re.sub(r"\b(a|p) ?\.? ?m\b\.?", r"\1m", text)
    if not text or len(text) > 60:
        raise _unclear(phrase)
    relative = re.fullmatch(r"(?:in )?(.+?)(?: from now)?", text)
    if text.startswith("in ") or text.endswith(" from now"):
        seconds = parse_duration(relative.group(1)) if relative else None
        if seconds is None:
            raise _unclear(phrase)
        return now + timedelta(seconds=seconds)

    clock: _Clock | None = None
    rest = text
    for match in _CLOCK.finditer(text):
        before, after = text[:match.start()], text[match.end():]
        if (before and not before.endswith(" ")) or (after and not after.startswith(" ")):
            continue  # part of a word or a date ("5th")
        if re.search(rf"(?:^|\s){_MONTH} ?(?:the )?$", before) or re.match(rf" (?:st|nd|rd|th)?(?: of)? {_MONTH}\b",
                                                                            after):
            continue  # "march 5", "the 5 of june": a date, not a time
        clock = _clock_of(match)
        if clock is None:
            raise _unclear(phrase)
        rest = (before + after).strip()
        break
    rest = re.sub(r"\b(?:at|on|in the|and)\b", " ", rest)
    rest = " ".join(rest.split())
    day: date | None = None
    part = ""
    if rest:
        day_match = _DAY.fullmatch(rest)
        if day_match is None:
            raise _unclear(phrase)
        rel, part = day_match["rel"], day_match["this"] or day_match["part"] or ""
        if rel == "today":
            day = now.date()
        elif rel == "tonight":
            day, part = now.date(), part or "night"
        elif rel == "tomorrow":
            day = now.date() + timedelta(days=1)
        elif rel:
            day = now.date() + timedelta(days=2)
        elif day_match["this"]:
            day = now.date()
        else:
            day = _named_day(day_match["named"], now)
            if day is None:
                raise _unclear(phrase)
    if clock is None:
        if day is None:
            raise _unclear(phrase)
        hour = {"morning": DEFAULT_HOUR, "afternoon": 15, "evening": 19, "night": 21}.get(part, DEFAULT_HOUR)
        clock = _Clock(hour, 0, True)
    candidates: list[datetime] = []
    hours = [clock.hour] if clock.fixed else [clock.hour % 12, clock.hour % 12 + 12]
    if not clock.fixed:
        if part in ("afternoon", "evening", "night"):
            hours = [clock.hour % 12 + 12] if not (part == "night" and clock.hour == 12) else [0]
            if part == "night" and clock.hour < 5:
                hours = [clock.hour]  # "tonight at 1": in the small hours
        elif part == "morning":
            hours = [clock.hour % 12]
        elif kind == "reminder" and 1 <= clock.hour <= 6:
            hours = [clock.hour + 12]
    if day is None:
        for offset in (0, 1, 2):
            base = now.date() + timedelta(days=offset)
            candidates += [datetime.combine(base, datetime.min.time()).replace(hour=h, minute=clock.minute)
                           for h in hours]
        future = sorted(c for c in candidates if c > now)
        return future[0]
    if not clock.fixed and not part:
        # A day and an hour without am or pm: the hour people mean by it.
        if kind == "reminder":
            hours = [clock.hour % 12 + 12] if 1 <= clock.hour <= 6 else [clock.hour % 12]
        else:
            hours = [clock.hour % 12] if clock.hour != 12 else [12]
    moment = datetime.combine(day, datetime.min.time()).replace(hour=hours[0], minute=clock.minute)
    if part == "night" and moment.hour < 5 and day == now.date():
        moment += timedelta(days=1)  # "tonight at 1": after midnight
    if moment <= now:
        if day == now.date() and len(hours) == 1 and not clock.fixed and moment + timedelta(hours=12) > now \
                and not part:
            return moment + timedelta(hours=12)
        raise ToolError("timer-time-passed", f"{say_clock(moment, twelve_hour=twelve_hour_locale())} "
                        f"{say_day(moment, now) or 'today'} has already passed: say a time still to come.")
    return moment


# --- the store and the scheduler --------------------------------------------------------------------------------


class TimerService:
    """Timers, alarms and reminders in a SQLite file, and the thread that fires them. Thread-safe.

    A store that cannot be used (a damaged file, one locked by another program, a folder that cannot be written)
    does not stop the assistant: ``problem`` says why, the methods raise that ToolError ("timers-unavailable")
    and the file is left exactly as it is; ``start()`` publishes it once as ``ErrorOccurred``."""

    def __init__(self, bus: EventBus, path: Path, *, clock: Callable[[], float] = time.time,
                 elapsed: Callable[[], float] = _elapsed, twelve_hour: bool | None = None) -> None:
        self.bus, self.path = bus, Path(path)
        self.clock, self.elapsed = clock, elapsed
        self.twelve_hour = twelve_hour_locale() if twelve_hour is None else twelve_hour
        self._db_lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self.problem: ToolError | None = None
        self._cond = threading.Condition()
        self._changed = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        # timer id -> (its due, its deadline on the elapsed clock), set when it is added (under the file's lock)
        self._deadlines: dict[int, tuple[float, float]] = {}
        try:
            self._open()
        except ToolError as exc:
            log.warning("%s", exc.message)

    # --- the file ------------------------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        """The connection, opened now if it is not (a file locked a moment ago may be free now)."""
        with self._db_lock:
            if self._conn is not None:
                return self._conn
            try:
                # A folder the user named is created private but never changed; the app's own is tightened.
                private_dir(self.path.parent, tighten=self.path.parent in app_folders())
                existed = self.path.exists()
                if not existed:
                    create_private_file(self.path)
                conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=2.0)
            except (OSError, sqlite3.Error) as exc:
                raise self._fail(exc) from exc
            try:
                # Reading the schema first fails on a file that is not a database before anything writes to it.
                conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise ToolError("timers-unavailable", f"The timers file {self.path} was written by a newer "
                                    "version of the assistant: update the app to use your timers.")
                conn.execute("PRAGMA journal_mode = WAL").fetchone()
                conn.execute("PRAGMA synchronous = FULL")
                for suffix in ("", "-wal", "-shm"):
                    private_file(self.path.with_name(self.path.name + suffix))
                for target in range(version + 1, SCHEMA_VERSION + 1):
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        for statement in _MIGRATIONS[target - 1]:
                            conn.execute(statement)
                        conn.execute(f"PRAGMA user_version = {target:d}")
                        conn.execute("COMMIT")
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
                conn.execute("DELETE FROM timers WHERE state != 'pending' AND due < ?",
                             (self.clock() - KEEP_DONE_DAYS * 86400,))
            except ToolError as exc:
                conn.close()
                self.problem = exc
                raise
            except sqlite3.Error as exc:
                conn.close()
                raise self._fail(exc) from exc
            self._conn, self.problem = conn, None
            return conn

    def _fail(self, exc: BaseException) -> ToolError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            why = "it is in use by another program"
        elif "not a database" in text or "malformed" in text or "corrupt" in text:
            why = "it is damaged"
        else:
            why = text
        self.problem = ToolError("timers-unavailable", f"Timers, alarms and reminders can't be used: the file "
                                 f"{self.path} cannot be opened ({why}). It is left as it is: move it away to "
                                 "start afresh.")
        return self.problem

    def _run_sql(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        with self._db_lock:
            conn = self._open()
            try:
                return conn.execute(sql, args)
            except sqlite3.Error as exc:
                raise self._fail(exc) from exc

    def _rows(self, where: str, args: tuple = (), order: str = "due, id") -> list[TimerInfo]:
        with self._db_lock:
            rows = self._run_sql(f"SELECT id, kind, label, due, created, state, duration FROM timers WHERE {where} "
                                 f"ORDER BY {order}", args).fetchall()
        return [TimerInfo(*row) for row in rows]

    # --- what the tools and the window use ---------------------------------------------------------------

    def pending(self, kind: str | None = None) -> list[TimerInfo]:
        """What is still to come, soonest first (of one kind, or all)."""
        if kind is None:
            return self._rows("state = 'pending'")
        return self._rows("state = 'pending' AND kind = ?", (kind,))

    def get(self, timer_id: int) -> TimerInfo | None:
        found = self._rows("id = ?", (int(timer_id),))
        return found[0] if found else None

    def recent(self, limit: int = 20) -> list[TimerInfo]:
        """Every item, pending ones first, then the latest done (for ``assistant timers list --all``)."""
        return self._rows("1", order="state != 'pending', CASE state WHEN 'pending' THEN due ELSE -due END "
                          f"LIMIT {int(limit):d}")

    def add_timer(self, seconds: float, label: str = "") -> TimerInfo:
        if not 1 <= seconds <= MAX_TIMER_S:
            raise ToolError("timer-duration-invalid", f"A timer can run from 1 second to 7 days, not "
                            f"{say_duration(seconds)}.")
        return self._add("timer", _clean(label), self.clock() + float(seconds), float(seconds))

    def add_alarm(self, at_epoch: float, label: str = "") -> TimerInfo:
        return self._add("alarm", _clean(label), self._check_ahead(at_epoch), None)

    def add_reminder(self, at_epoch: float, text: str) -> TimerInfo:
        return self._add("reminder", _clean(text), self._check_ahead(at_epoch), None)

    def _check_ahead(self, at_epoch: float) -> float:
        now = self.clock()
        if at_epoch <= now:
            raise ToolError("timer-time-passed", f"{say_when(at_epoch, now, twelve_hour=self.twelve_hour)} has "
                            "already passed: say a time still to come.")
        if at_epoch - now > MAX_AHEAD_S:
            raise ToolError("timer-duration-invalid", "That is more than a year away: set it nearer the time.")
        return float(at_epoch)

    def _add(self, kind: str, label: str, due: float, duration: float | None) -> TimerInfo:
        now = self.clock()
        cursor = self._run_sql("INSERT INTO timers (kind, label, due, created, state, duration) "
                               "VALUES (?, ?, ?, ?, 'pending', ?)", (kind, label, due, now, duration))
        info = TimerInfo(int(cursor.lastrowid), kind, label, due, now, "pending", duration)
        if duration is not None:  # it runs for that long from now, whatever the wall clock does meanwhile
            with self._db_lock:
                self._deadlines[info.id] = (due, self.elapsed() + duration)
        log.info("%s %d set for %s", kind, info.id, datetime.fromtimestamp(due).isoformat(timespec="seconds"))
        self._changed_now()
        return info

    def cancel(self, timer_id: int) -> TimerInfo:
        """Cancel one pending item; raises ToolError "timer-not-found" when there is no such pending one."""
        with self._db_lock:
            info = self.get(timer_id)
            if info is None or info.state != "pending":
                raise ToolError("timer-not-found", f"There is no pending timer, alarm or reminder number {timer_id}.")
            self._run_sql("UPDATE timers SET state = 'cancelled', done_at = ? WHERE id = ? AND state = 'pending'",
                          (self.clock(), info.id))
        self._changed_now()
        return info

    def cancel_all(self, kind: str | None = None) -> int:
        """Cancel every pending item (of one kind); returns how many."""
        sql = "UPDATE timers SET state = 'cancelled', done_at = ? WHERE state = 'pending'"
        args: tuple = (self.clock(),)
        if kind is not None:
            sql, args = sql + " AND kind = ?", (*args, kind)
        count = self._run_sql(sql, args).rowcount
        if count:
            self._changed_now()
        return count

    def change(self, timer_id: int, due: float) -> TimerInfo:
        """Move a pending item to a new due time (wall-clock epoch)."""
        with self._db_lock:
            info = self.get(timer_id)
            if info is None or info.state != "pending":
                raise ToolError("timer-not-found", f"There is no pending timer, alarm or reminder number {timer_id}.")
            due = self._check_ahead(due) if info.kind != "timer" or due <= self.clock() else float(due)
            duration = info.duration + (due - info.due) if info.duration is not None else None
            self._run_sql("UPDATE timers SET due = ?, duration = ? WHERE id = ? AND state = 'pending'",
                          (due, duration, info.id))
            known = self._deadlines.get(info.id)
            if known is not None:
                self._deadlines[info.id] = (due, known[1] + (due - info.due))
        self._changed_now()
        return TimerInfo(info.id, info.kind, info.label, due, info.created, "pending", duration)

    def extend(self, timer_id: int, seconds: float) -> TimerInfo:
        """Add time to a pending item (a timer runs that much longer)."""
        info = self.get(timer_id)
        if info is None or info.state != "pending":
            raise ToolError("timer-not-found", f"There is no pending timer, alarm or reminder number {timer_id}.")
        return self.change(info.id, info.due + float(seconds))

    # --- the scheduler -------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the scheduler; it first announces what came due while the app was not running (as missed)."""
        with self._cond:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="timers", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the scheduler and close the file (the methods open it again when used)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        with self._db_lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    close = stop

    def recheck(self) -> None:
        """Have the scheduler look at the clocks now (after the machine woke up, or the clock was set)."""
        self._changed_now(publish=False)

    def _changed_now(self, *, publish: bool = True) -> None:
        with self._cond:
            self._changed = True
            self._cond.notify_all()
        if publish:
            self._publish_count()

    def _publish_count(self) -> None:
        try:
            count = len(self.pending())
        except ToolError:
            return
        self.bus.publish(TimersChanged(count=count))

    def _run(self) -> None:
        first = True
        problem_said = False
        while True:
            with self._cond:
                if self._stopping:
                    return
                self._changed = False
            try:
                fired, wait = self._due_now(missed_check=first)
                first, problem_said = False, False
            except ToolError as exc:
                if not problem_said:
                    self.bus.publish(ErrorOccurred(code=exc.code, message=exc.message))
                    problem_said = True
                fired, wait = [], None  # wait for a change (or recheck) to try the file again
            except Exception:  # the scheduler must outlive a bug in one pass
                log.exception("the timer scheduler failed; trying again")
                fired, wait = [], MAX_WAIT_S
            for event in fired:
                self.bus.publish(event)
            if fired:
                self._publish_count()
            with self._cond:
                if self._stopping:
                    return
                if not self._changed:
                    self._cond.wait(wait)

    def _due_now(self, *, missed_check: bool) -> tuple[list[TimerFired], float | None]:
        """Fire what is due; returns the events to publish and how long to sleep (None: until a change)."""
        now, elapsed_now = self.clock(), self.elapsed()
        with self._db_lock:
            tracked = set(self._deadlines)  # before the query: one added meanwhile is not dropped below
        items = self.pending()
        events: list[TimerFired] = []
        waits: list[float] = []
        seen = set()
        for info in items:
            seen.add(info.id)
            remaining = info.due - now
            if info.kind == "timer":
                with self._db_lock:
                    known = self._deadlines.get(info.id)
                    if known is None or known[0] != info.due:  # set by another process, or before a restart
                        known = self._deadlines[info.id] = (info.due, elapsed_now + remaining)
                remaining = min(remaining, known[1] - elapsed_now)
            if remaining > 0.0005:
                waits.append(remaining)
                continue
            missed = missed_check and now - info.due > MISSED_AFTER_S
            state = "missed" if missed else "fired"
            with self._db_lock:
                claimed = self._run_sql("UPDATE timers SET state = ?, done_at = ? WHERE id = ? AND state = 'pending'",
                                        (state, now, info.id)).rowcount
            if claimed:  # else cancelled or fired by another process meanwhile
                events.append(TimerFired(timer_id=info.id, kind=info.kind, label=info.label, due=info.due,
                                         missed=missed, announcement=self.announcement(info, missed=missed, now=now)))
                log.info("%s %d %s", info.kind, info.id, state)
        with self._db_lock:
            for gone in tracked - seen:
                self._deadlines.pop(gone, None)
        return events, (min(min(waits), MAX_WAIT_S) if waits else None)

    # --- words ---------------------------------------------------------------------------------------------

    def announcement(self, info: TimerInfo, *, missed: bool = False, now: float | None = None) -> str:
        """What is said when an item comes due ("Your 10 minute timer is done.")."""
        now = self.clock() if now is None else now
        name = self.describe(info)
        if missed:
            at = say_when(info.due, now, twelve_hour=self.twelve_hour)
            if info.kind == "reminder":
                text = f": {info.label}" if info.label else ""
                return f"While I was off, you had a reminder at {at}{text}."
            return f"While I was off, your {name} went off at {at}."
        if info.kind == "timer":
            return f"Your {name} is done."
        if info.kind == "alarm":
            clock = say_clock(datetime.fromtimestamp(info.due), twelve_hour=self.twelve_hour)
            return f"It's {clock}: {info.label}." if info.label else f"It's {clock}. This is your alarm."
        return f"Reminder: {info.label}." if info.label else "This is your reminder."

    def describe(self, info: TimerInfo) -> str:
        """ "10 minute timer", "pasta timer", "7 am alarm", "reminder to call mum"."""
        if info.kind == "timer":
            if info.label:
                return f"{info.label} timer"
            return f"{_timer_name(info.duration or 0)} timer"
        if info.kind == "alarm":
            clock = say_clock(datetime.fromtimestamp(info.due), twelve_hour=self.twelve_hour)
            return f"{clock} alarm" + (f" ({info.label})" if info.label else "")
        return f"reminder to {info.label}" if info.label else "reminder"

    def summary(self, items: list[TimerInfo], kind: str | None = None) -> str:
        """ "You have 2 timers: 10 minutes left, and 4 minutes 12 seconds left." """
        now = self.clock()
        noun = kind or "timer"
        if not items:
            return f"You have no {noun}s." if kind else "You have no timers, alarms or reminders."
        groups = []
        for each in KINDS:
            group = [i for i in items if i.kind == each]
            if not group:
                continue
            parts = [self._item_words(i, now) for i in group]
            listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + ", and " + parts[-1]
            groups.append(f"{_plural(len(group), each)}: {listed}")
        return "You have " + ". And ".join(groups) + "."

    def _item_words(self, info: TimerInfo, now: float) -> str:
        if info.kind == "timer":
            left = f"{say_duration(info.remaining(now), precise=info.remaining(now) < 3600)} left"
            return f"{info.label}, {left}" if info.label else left
        when = say_when(info.due, now, twelve_hour=self.twelve_hour)
        if info.kind == "alarm":
            return f"{when}" + (f" ({info.label})" if info.label else "")
        return f"at {when}" + (f" to {info.label}" if info.label else "")

    # --- tools ---------------------------------------------------------------------------------------------

    def parse(self, when: str, kind: str) -> float:
        """The epoch a spoken time names, from now."""
        now = datetime.fromtimestamp(self.clock())
        return parse_when(when, now, kind=kind).timestamp()

    def tools(self) -> list[Tool]:
        return [
            Tool("timers.start", "Start a countdown timer for a duration in seconds.", {
                "type": "object", "additionalProperties": False, "required": ["seconds"],
                "properties": {"seconds": {"type": "number", "minimum": 1, "maximum": MAX_TIMER_S},
                               "label": {"type": "string", "maxLength": 100,
                                         "description": "what it is for, e.g. 'pasta'"}}},
                 self._tool_start, family="timers", keywords=("timer", "countdown", "minutes", "seconds", "hours")),
            Tool("timers.cancel", "Cancel a timer, alarm or reminder (or all of a kind).", {
                "type": "object", "additionalProperties": False,
                "properties": {"id": {"type": "integer"},
                               "kind": {"enum": ["timer", "alarm", "reminder", "any"]},
                               "all": {"type": "boolean"},
                               "match": {"type": "string", "maxLength": 100,
                                         "description": "its label, duration ('10 minutes') or time ('7 am')"}}},
                 self._tool_cancel, family="timers",
                 keywords=("cancel", "stop", "delete", "timer", "timers", "alarm", "alarms", "reminder", "reminders")),
            Tool("timers.list", "List the pending timers (with the time left), alarms and reminders.", {
                "type": "object", "additionalProperties": False,
                "properties": {"kind": {"enum": ["timer", "alarm", "reminder", "any"]}}},
                 self._tool_list, family="timers",
                 keywords=("timer", "timers", "alarm", "alarms", "reminder", "reminders", "left", "remaining")),
            Tool("timers.extend", "Add time to a running timer (or an alarm or reminder).", {
                "type": "object", "additionalProperties": False, "required": ["seconds"],
                "properties": {"seconds": {"type": "number", "minimum": 1, "maximum": MAX_TIMER_S},
                               "id": {"type": "integer"},
                               "kind": {"enum": ["timer", "alarm", "reminder"]}}},
                 self._tool_extend, family="timers", keywords=("add", "extend", "more", "timer", "snooze")),
            Tool("alarms.set", "Set an alarm at a time of day, said as words ('7 am', 'tomorrow at 6:45').", {
                "type": "object", "additionalProperties": False, "required": ["when"],
                "properties": {"when": {"type": "string", "minLength": 1, "maxLength": 60},
                               "label": {"type": "string", "maxLength": 100}}},
                 self._tool_alarm, family="timers", keywords=("alarm", "wake", "morning")),
            Tool("reminders.add", "Remind the user of something at a time ('at 5 pm', 'in 20 minutes', "
                 "'tomorrow at 9 am').", {
                "type": "object", "additionalProperties": False, "required": ["when", "text"],
                "properties": {"when": {"type": "string", "minLength": 1, "maxLength": 60},
                               "text": {"type": "string", "maxLength": MAX_TEXT,
                                        "description": "what to remind of, e.g. 'call mum'"}}},
                 self._tool_reminder, family="timers", keywords=("remind", "reminder", "remember")),
        ]

    def _tool_start(self, args: Mapping[str, Any], _context: ToolContext) -> ToolResult:
        info = self.add_timer(float(args["seconds"]), str(args.get("label", "")))
        name = f"{info.label.capitalize()} timer" if info.label else "Timer"
        return ToolResult(f"{name} set for {say_duration(info.duration or 0)}.", info.as_dict())

    def _tool_alarm(self, args: Mapping[str, Any], _context: ToolContext) -> ToolResult:
        info = self.add_alarm(self.parse(str(args["when"]), "alarm"), str(args.get("label", "")))
        when = say_when(info.due, self.clock(), twelve_hour=self.twelve_hour)
        return ToolResult(f"Alarm set for {when}.", info.as_dict())

    def _tool_reminder(self, args: Mapping[str, Any], _context: ToolContext) -> ToolResult:
        when_said = str(args["when"]).strip().lower()
        info = self.add_reminder(self.parse(when_said, "reminder"), str(args.get("text", "")))
        if when_said.startswith("in "):
            when = f"in {say_duration(info.due - info.created)}"
        else:
            when = f"at {say_when(info.due, self.clock(), twelve_hour=self.twelve_hour)}"
        text = f" to {info.label}" if info.label else ""
        return ToolResult(f"OK, I'll remind you {when}{text}.", info.as_dict())

    def _tool_list(self, args: Mapping[str, Any], _context: ToolContext) -> ToolResult:
        kind = args.get("kind")
        kind = None if kind in (None, "any") else str(kind)
        items = self.pending(kind)
        now = self.clock()
        return ToolResult(self.summary(items, kind), {"items": [i.as_dict(now) for i in items]})

    def _tool_extend(self, args: Mapping[str, Any], _context: ToolContext) -> ToolResult:
        if "id" in args:
            target = self.get(int(args["id"]))
            if target is None or target.state != "pending":
                raise ToolError("timer-not-found", f"There is no pending timer, alarm or reminder number "
                                f"{args['id']}.")
        else:
            kind = str(args.get("kind", "timer"))
            target = self._one_of(self.pending(kind), kind, "", verb=f"add {say_duration(float(args['seconds']))} to")
        info = self.extend(target.id, float(args["seconds"]))
        now = self.clock()
        if info.kind == "timer":
            say = f"Added {say_duration(float(args['seconds']))}: {say_duration(info.remaining(now))} left."
        else:
            say = f"Moved your {info.kind} to {say_when(info.due, now, twelve_hour=self.twelve_hour)}."
        return ToolResult(say, info.as_dict(now))

    def _tool_cancel(self, args: Mapping[str, Any], _context: ToolContext) -> ToolResult:
        kind = args.get("kind")
        kind = None if kind in (None, "any") else str(kind)
        if "id" in args:
            info = self.cancel(int(args["id"]))
            return ToolResult(f"Cancelled your {self.describe(info)}.", info.as_dict())
        items = self.pending(kind)
        match = str(args.get("match", "")).strip()
        if match:
            items = self._matching(items, match)
        noun = kind or "timer, alarm or reminder"
        if not items:
            return ToolResult(f"You have no {match + ' ' if match else ''}{noun}{'' if match else 's'} to cancel."
                              if kind else "There is nothing to cancel.", {"cancelled": []})
        if args.get("all"):
            done = [i for i in items if self._cancel_quietly(i.id)]
            if len(done) == 1:
                return ToolResult(f"Cancelled your {self.describe(done[0])}.", {"cancelled": [done[0].id]})
            what = _plural(len(done), kind) if kind else f"{len(done)} timers, alarms and reminders"
            return ToolResult(f"Cancelled {what}.", {"cancelled": [i.id for i in done]})
        info = self._one_of(items, kind, match)
        self.cancel(info.id)
        return ToolResult(f"Cancelled your {self.describe(info)}.", {"cancelled": [info.id]})

    def _cancel_quietly(self, timer_id: int) -> bool:
        try:
            self.cancel(timer_id)
        except ToolError:
            return False
        return True

    def _one_of(self, items: list[TimerInfo], kind: str | None, match: str, verb: str = "cancel") -> TimerInfo:
        noun = kind or "timer"
        if not items:
            raise ToolError("timer-not-found", f"You have no {noun}s{' like that' if match else ''}.")
        if len(items) == 1:
            return items[0]
        names = [self.describe(i) for i in items]
        listed = ", ".join(names[:-1]) + " and " + names[-1]
        everything = f" or say 'cancel all {noun}s'" if verb == "cancel" else ""
        raise ToolError("timer-ambiguous", f"You have {len(items)} {noun}s: {listed}. Say which one, like "
                        f"'{verb} the {names[0]}'{everything}.")

    def _matching(self, items: list[TimerInfo], match: str) -> list[TimerInfo]:
        """The items a spoken description fits: a label, a timer's duration, an alarm's or reminder's time."""
        words = match.lower().strip()
        words = re.sub(r"^(?:the|my|for|to|at) ", "", words)
        seconds = parse_duration(words)
        out = []
        for info in items:
            labelled = bool(info.label) and (words in info.label.lower() or info.label.lower() in words)
            lasting = seconds is not None and info.duration is not None and abs(info.duration - seconds) < 1
            if labelled or (info.kind == "timer" and lasting):
                out.append(info)
            elif info.kind != "timer" and seconds is None:
                try:
                    said = self.parse(words, info.kind)
                except ToolError:
                    continue
                due = datetime.fromtimestamp(info.due)
                if abs(said - info.due) < 60 or _same_clock(datetime.fromtimestamp(said), due):
                    out.append(info)
        return out

    # --- intents -------------------------------------------------------------------------------------------

    def matchers(self) -> list[Matcher]:
        return [self._match_list, self._match_cancel, self._match_extend, self._match_reminder, self._match_alarm,
                self._match_timer]

    def _match_timer(self, heard: Heard) -> ToolCall | None:
        norm = _polite(heard.norm)
        m = _TIMER_BEFORE.fullmatch(norm)  # "set a (pasta) timer for 10 minutes (called pasta)"
        if m is not None:
            found = _duration_then(m["rest"], r"(?:(?:called|named|labell?ed|for) (?P<label>.{1,30}))?")
            if found is not None:
                return _timer_call(found[0], m["label"] or found[1])
        m = _TIMER_AFTER.fullmatch(norm)  # "(set a) 10 minute (pasta) timer (for the pasta)"
        if m is not None:
            found = _duration_then(m["pre"], r"(?P<label>[a-z][a-z']*(?: [a-z][a-z']*)?)?")
            if found is not None:
                return _timer_call(found[0], m["label2"] or found[1])
        return None

    def _match_alarm(self, heard: Heard) -> ToolCall | None:
        norm = _polite(heard.norm)
        m = _ALARM.fullmatch(norm) or _WAKE.fullmatch(norm)
        if m is None:
            return None
        when = (m["when"] or "").strip()
        label = _label(m.groupdict().get("label") or "")
        if not when:
            return None  # "set an alarm": the model asks for when
        if parse_duration(when) is not None and not when.startswith("in "):  # "set an alarm for 10 minutes"
            when = f"in {when}"
        elif not m.groupdict().get("verb") and not _is_when(when, datetime.fromtimestamp(self.clock())):
            return None  # "alarm clock reviews": not a request; "set an alarm for banana" is, and hears why not
        if m.re is _WAKE and _MORNING_HOUR.search(when) and not _SAYS_WHEN_IN_DAY.search(when):
            when += " am"  # "wake me up at 6:45": in the morning
        arguments: dict[str, Any] = {"when": when}
        if label:
            arguments["label"] = label
        return ToolCall("alarms.set", arguments)

    def _match_reminder(self, heard: Heard) -> ToolCall | None:
        norm = _polite(heard.norm)
        m = _REMIND.fullmatch(norm)
        if m is None:
            return None
        body = m["body"].strip()
        now = datetime.fromtimestamp(self.clock())
        # "remind me WHEN to TEXT": the shortest start that is a time, before a "to", "that" or "about".
        for split in re.finditer(r" (?:to|that|about|of) ", f" {body} "):
            when, text = f" {body} "[:split.start()].strip(), f" {body} "[split.end():].strip()
            if when and _is_when(when, now):
                return ToolCall("reminders.add", {"when": when, "text": _original(heard.text, text)})
        # "remind me at blorp o'clock to eat": surely a reminder, its time unreadable: the tool says how to say one.
        first = re.search(r" (?:to|that|about) ", f" {body} ")
        if first is not None and first.start() > 0:
            when = f" {body} "[:first.start()].strip()
            if when.split(" ")[0] in ("at", "on", "by"):
                return ToolCall("reminders.add", {"when": when,
                                                  "text": _original(heard.text, f" {body} "[first.end():].strip())})
        # "remind me to TEXT WHEN": the longest end that is a time.
        lead = re.match(r"(?:to|that|about|of) (.+)$", body)
        if lead is not None:
            rest = lead.group(1)
            words = rest.split(" ")
            for i in range(1, len(words)):
                when = " ".join(words[i:])
                if when.split(" ")[0] in _WHEN_STARTS and _is_when(when, now):
                    return ToolCall("reminders.add", {"when": when,
                                                      "text": _original(heard.text, " ".join(words[:i]))})
            return None  # "remind me to buy milk" with no time: the model asks when
        if _is_when(body, now):  # "remind me at 5"
            return ToolCall("reminders.add", {"when": body, "text": ""})
        return None

    def _match_cancel(self, heard: Heard) -> ToolCall | None:
        norm = _polite(heard.norm)
        m = _CANCEL.fullmatch(norm)
        if m is None:
            return None
        kind = m["kind"]
        arguments: dict[str, Any] = {"kind": kind}
        if m["all"] or m["plural"]:
            arguments["all"] = True
        match = " ".join(filter(None, [(m["what"] or "").strip(), (m["what2"] or "").strip()]))
        if match:
            arguments["match"] = match
        return ToolCall("timers.cancel", arguments)

    def _match_list(self, heard: Heard) -> ToolCall | None:
        norm = _polite(heard.norm)
        for pattern in _LIST_PATTERNS:
            m = pattern.fullmatch(norm)
            if m is not None:
                kind = (m.groupdict().get("kind") or "timer").rstrip("s")
                return ToolCall("timers.list", {"kind": kind})
        return None

    def _match_extend(self, heard: Heard) -> ToolCall | None:
        norm = _polite(heard.norm)
        m = _EXTEND.fullmatch(norm) or _EXTEND_BY.fullmatch(norm)
        if m is None:
            return None
        seconds = parse_duration(m["dur"])
        if seconds is None:
            return None
        return ToolCall("timers.extend", {"seconds": seconds, "kind": m["kind"]})


def _same_clock(a: datetime, b: datetime) -> bool:
    return a.hour == b.hour and a.minute == b.minute


def _clean(text: str) -> str:
    return " ".join(str(text).split())[:MAX_TEXT].rstrip(" .")


def _is_when(phrase: str, now: datetime) -> bool:
    try:
        parse_when(phrase, now, kind="reminder")
    except ToolError as exc:
        return exc.code == "timer-time-passed"
    return True


def _original(text: str, norm_part: str) -> str:
    """The words as said (their case) when the normalized part is found in the original, else the part."""
    spoken = " ".join(text.replace("’", "'").split()).rstrip(" .!?")
    index = spoken.lower().find(norm_part)
    return spoken[index:index + len(norm_part)] if norm_part and index >= 0 else norm_part


_POLITE = re.compile(r"^(?:(?:hey |ok |okay )?(?:assistant )?(?:please |could you |can you |would you |will you "
                     r"|i want you to |i'd like you to |i need you to |go ahead and |just )+)|(?: please| thanks"
                     r"| thank you)+$")


def _polite(norm: str) -> str:
    previous = None
    while previous != norm:
        previous, norm = norm, _POLITE.sub("", norm).strip()
    return norm


def _label(text: str) -> str:
    label = re.sub(r"^(?:the|a|an|my) ", "", (text or "").strip())
    return "" if label in ("new", "countdown", "another") else label


def _duration_then(text: str, tail: str) -> tuple[float, str] | None:
    """The longest run of words at the start of ``text`` that is a duration, when what follows fits ``tail``
    (a pattern with an optional group "label"): (seconds, label)."""
    words = text.split(" ")
    for end in range(len(words), 0, -1):
        seconds = parse_duration(" ".join(words[:end]))
        if seconds is None:
            continue
        m = re.fullmatch(tail, " ".join(words[end:]))
        if m is None:
            return None
        return seconds, m["label"] or ""
    return None


def _timer_call(seconds: float, label: str) -> ToolCall:
    arguments: dict[str, Any] = {"seconds": seconds}
    if _label(label):
        arguments["label"] = _label(label)
    return ToolCall("timers.start", arguments)


_DUR = r"(?P<dur>(?:\d|an? |half |quarter |three |3 )[\w .'-]*?)"
_ART = r"(?:an? |the |my |another |one more )?"
_VERB = r"(?P<verb>set|start|make|create|put on|run|give me|i need|add|begin|schedule)"
_NOT_A_LABEL = r"(?!(?:cancel|stop|delete|remove|clear|end|kill|how|what|which|is|are|do|list|show|turn)\b)"
_TIMER_BEFORE = re.compile(rf"(?:{_VERB} )?{_ART}(?:(?P<label>{_NOT_A_LABEL}[a-z][a-z']*(?: [a-z][a-z']*)?) )?"
                           rf"(?:timer|countdown) (?:for |of |at |to )?(?P<rest>\S.*)")
_TIMER_AFTER = re.compile(rf"(?:{_VERB} )?{_ART}(?P<pre>(?:\d|an? |half |quarter |three |3 ).*?)[ -](?:long )?timer"
                          rf"(?: (?:for|called|named|labell?ed) (?P<label2>[a-z][a-z' ]{{0,30}}))?")
_WHEN = r"(?P<when>[\w :.']{1,60}?)"
_ALARM = re.compile(rf"(?:(?P<verb>set|make|create|add|put|schedule) )?{_ART}(?:new )?alarm(?: clock)?"
                    rf"(?: (?:(?:for|at|to|on|in) )?{_WHEN})?(?: (?:called|named|labell?ed|to) "
                    rf"(?P<label>[a-z][a-z' ]{{0,40}}))?")
_WAKE = re.compile(r"(?:wake me(?: up)?|get me up) (?P<when>(?:at|by|in|on|tomorrow|today|tonight|this|next|"
                   r"monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b[\w :.']{0,60})")
_MORNING_HOUR = re.compile(r"(?:^|\s)(?:[1-9]|1[0-2])(?:[: ][0-5]\d)?$")  # ends with an hour said without am/pm
_SAYS_WHEN_IN_DAY = re.compile(r"\b(?:am|pm|a m|p m|in|tonight|afternoon|evening|night|noon|midnight|hours?)\b")
_REMIND = re.compile(r"(?:remind me|set (?:a |an )?reminder|add (?:a )?reminder|create (?:a )?reminder)"
                     r"(?: for me)? (?P<body>.+)")
_WHEN_STARTS = {"at", "in", "on", "tomorrow", "today", "tonight", "this", "next", "by", "noon", "midnight",
                *_WEEKDAYS}
_CANCEL = re.compile(
    r"(?:cancel|stop|delete|remove|clear|turn off|switch off|dismiss|kill|end|get rid of|disable)"
    r"(?P<all> all(?: of)?| every| both)?(?: the| my| that| this| those| these| your)?"
    r"(?: (?P<what>[\w :.']{1,40}?))? (?P<kind>timer|alarm|reminder)(?P<plural>s)?"
    r"(?: (?:for|at|to|about|called|named) (?P<what2>[\w :.']{1,40}))?")
_LIST_PATTERNS = [
    re.compile(r"how (?:much (?:more )?time|long|many minutes)(?: is| do i have| have i got)?(?: still)? "
               r"(?:left|remaining|to go)(?: (?:on|in|for) (?:the|my) (?P<kind>timer|alarm|reminder)s?)?"),
    re.compile(r"how long (?:until|till|before|is left on) (?:the|my) (?P<kind>timer|alarm|reminder)s?"
               r"(?: (?:goes off|is done|finishes|rings|ends))?"),
    re.compile(r"(?:what|which) (?P<kind>timer|alarm|reminder)s? (?:do i have|have i got|are (?:there|set|running|"
               r"on|pending|active)|did i set|is (?:set|running|on))(?: (?:set|running|on|now|up))?"),
    re.compile(r"(?:list|show|tell me|read|check)(?: me)?(?: all)?(?: of)? (?:my |the |all )?"
               r"(?:(?:current|active|pending|running) )?(?P<kind>timer|alarm|reminder)s?"),
    re.compile(r"(?:do|have) i (?:have|got|set)(?: any)? (?P<kind>timer|alarm|reminder)s?(?: (?:set|running|on))?"),
    re.compile(r"(?:are there|is there)(?: any| an?)? (?P<kind>timer|alarm|reminder)s? (?:set|running|on|pending)"),
    re.compile(r"what are my (?P<kind>timer|alarm|reminder)s"),
    re.compile(r"(?:time left|time remaining)(?: on (?:the |my )?(?P<kind>timer|alarm|reminder))?"),
]
_EXTEND = re.compile(rf"(?:add|put) (?:another |an extra |extra )?{_DUR} (?:more )?(?:to|on) (?:the|my|that) "
                     rf"(?P<kind>timer|alarm|reminder)")
_EXTEND_BY = re.compile(rf"(?:extend|snooze) (?:the|my|that) (?P<kind>timer|alarm|reminder) (?:by|for) {_DUR}")
