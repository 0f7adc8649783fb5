"""Reads an iCalendar file with two strict parsers from PyPI, vobject and icalendar, and prints
what each found as JSON: {"vobject": [event...], "icalendar": [event...]}, each event its UID,
SUMMARY, DESCRIPTION and LOCATION. A parser that refuses the file prints {"<name>": "error: ..."}.
Run by the feed tests (server/tests/it/feed.rs) with the Python that scripts/test prepares."""

import json
import sys

import icalendar
import vobject


def with_vobject(text):
    events = []
    for calendar in vobject.readComponents(text, validate=True):
        for event in calendar.contents.get("vevent", []):
            field = lambda name: event.contents[name][0].value if name in event.contents else None
            events.append({name: field(name) for name in ("uid", "summary", "description", "location")})
    return events


def with_icalendar(text):
    events = []
    calendar = icalendar.Calendar.from_ical(text)
    for event in calendar.walk("VEVENT"):
        field = lambda name: str(event[name]) if name in event else None
        events.append({name: field(name) for name in ("uid", "summary", "description", "location")})
    return events


def main():
    with open(sys.argv[1], encoding="utf-8", newline="") as f:
        text = f.read()
    found = {}
    for name, parse in (("vobject", with_vobject), ("icalendar", with_icalendar)):
        try:
            found[name] = parse(text)
        except Exception as e:  # noqa: BLE001 - any refusal is the answer
            found[name] = f"error: {type(e).__name__}: {e}"
    json.dump(found, sys.stdout)


main()
