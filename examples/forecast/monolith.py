#!/usr/bin/env python3
"""Monthly demand forecast per store: the team's original monolithic batch job.

For every store of a small synthetic retail network and every calendar month
of a date range, it sums a deterministic daily demand series per product
category and forecasts the next 30 days from trailing moving averages.

Everything is deterministic: the network is built from a fixed seed, the daily
series is a hash of (seed, store, category, day), all arithmetic is on
integers and fractions, and figures are formatted with explicit precision.

job.py imports these functions to run the same job as dcp's four steps.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import sys
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from typing import Any, Iterable, TextIO

Topology = dict[str, Any]
Window = tuple[datetime, datetime]

MINUTE_FORMAT = "%Y-%m-%d %H:%M"  # dcp's local wall-clock minute
WINDOW_KINDS = ("month", "none")
FORECAST_DAYS = 30
HEADER = (
    "store_id", "store_name", "region", "format", "category",
    "start_date", "end_date", "open_days", "units", "daily_mean",
    "ma7", "ma28", "forecast_30d", "peak_day",
)

_SEED = 20240101
_EPOCH = "2024-01-01"  # day 0 of every store's trend
# Monthly demand index per region, in percent (January first).
_SEASONS = {
    "north": [88, 86, 94, 98, 103, 106, 104, 97, 99, 101, 108, 126],
    "south": [84, 85, 92, 101, 108, 117, 124, 121, 102, 95, 96, 115],
    "coast": [72, 74, 86, 97, 109, 131, 152, 149, 105, 88, 80, 107],
}
# Per format: daily base demand range and day-of-week index (Monday first, %).
_FORMATS = {
    "hyper": {"base": [900, 1500], "weekday": [85, 82, 88, 95, 112, 148, 90]},
    "city": {"base": [400, 800], "weekday": [104, 102, 103, 105, 112, 96, 78]},
    "express": {"base": [150, 350], "weekday": [101, 100, 100, 102, 107, 99, 91]},
}
# Per format: share of each category in the store's demand, in percent.
_CATEGORY_SHARES = {
    "hyper": {"fresh": 30, "grocery": 45, "household": 25},
    "city": {"fresh": 40, "grocery": 45, "household": 15},
    "express": {"fresh": 55, "grocery": 40, "household": 5},
}
_CITIES = [
    ("Lille", "north"), ("Amiens", "north"), ("Rouen", "north"),
    ("Lyon", "south"), ("Toulouse", "south"), ("Orléans", "north"),
    ("Marseille", "coast"), ("Nice", "coast"), ("Bordeaux", "coast"),
    ("Paris, Bercy", "north"), ("Montpellier", "coast"), ("Nîmes", "south"),
]
_CLOSED_MONTH_DAYS = ["01-01", "05-01", "12-25"]  # every store, every year


class JobError(ValueError):
    """An expected failure of the job (bad input), reported without a traceback."""


def _hash_int(*parts: object) -> int:
    """A stable 64-bit integer from parts (the job's only source of "noise")."""
    text = "\x1f".join(str(p) for p in parts).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def build_topology() -> Topology:
    """The store network: plain JSON types only (str, int, list, dict)."""
    stores = []
    for number, (city, region) in enumerate(_CITIES, start=1):
        store_id = str(number)
        fmt = sorted(_FORMATS)[_hash_int(_SEED, "format", store_id) % len(_FORMATS)]
        low, high = _FORMATS[fmt]["base"]
        opened = date(2012, 1, 1) + timedelta(days=_hash_int(_SEED, "opened", store_id) % 3650)
        store = {
            "id": store_id,
            "name": f"{city} {fmt}",
            "region": region,
            "format": fmt,
            "base_units": low + _hash_int(_SEED, "base", store_id) % (high - low + 1),
            "trend_bp_per_year": _hash_int(_SEED, "trend", store_id) % 1101 - 300,
            "noise_bp": 400 + _hash_int(_SEED, "noise", store_id) % 1101,
            "opened": opened.isoformat(),
            "closures": [],
        }
        stores.append(store)
    # A store that opens mid-range, and one closed for a renovation.
    stores[10]["opened"] = "2024-06-15"
    stores[6]["closures"] = [["2024-02-05", "2024-02-18"]]
    return {
        "name": "forecast-retail",
        "version": 1,
        "seed": _SEED,
        "epoch": _EPOCH,
        "closed_month_days": list(_CLOSED_MONTH_DAYS),
        "seasons": {k: list(v) for k, v in _SEASONS.items()},
        "formats": {k: {"weekday": list(v["weekday"])} for k, v in _FORMATS.items()},
        "category_shares": {k: dict(v) for k, v in _CATEGORY_SHARES.items()},
        "stores": stores,
    }


def topology_json(topology: Topology) -> str:
    """The canonical serialisation (sorted keys, ASCII, one trailing newline)."""
    return json.dumps(topology, indent=2, sort_keys=True) + "\n"


def list_selections(topology: Topology) -> list[str]:
    """Store ids in numeric order ("2" before "10")."""
    return sorted((s["id"] for s in topology["stores"]), key=int)


def format_minute(moment: datetime) -> str:
    return moment.strftime(MINUTE_FORMAT)


def parse_minute(text: str) -> datetime:
    """Parses "YYYY-MM-DD HH:MM" strictly (the format of dcp's task message)."""
    try:
        moment = datetime.strptime(text, MINUTE_FORMAT)
    except (TypeError, ValueError):
        raise JobError(f"not a 'YYYY-MM-DD HH:MM' minute: {text!r}") from None
    if format_minute(moment) != text:  # strptime accepts "2024-1-1 0:00"
        raise JobError(f"not a 'YYYY-MM-DD HH:MM' minute: {text!r}")
    return moment


def windows(date_from: date, date_to: date, window: str = "month") -> list[Window]:
    """dcp's windows over [date_from, date_to], both days included.

    month: calendar months clipped to the range, from the first day 00:00 to
    the last day 23:59; none: one window, date_from 00:00 to date_to 23:59.
    """
    if date_to < date_from:
        raise JobError(f"range ends before it starts: {date_from} > {date_to}")
    if window not in WINDOW_KINDS:
        raise JobError(f"unknown window {window!r} (expected one of {', '.join(WINDOW_KINDS)})")
    last_minute = time(23, 59)
    if window == "none":
        return [(datetime.combine(date_from, time()), datetime.combine(date_to, last_minute))]
    result = []
    start = date_from
    while start <= date_to:
        next_month = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        end = min(next_month - timedelta(days=1), date_to)
        result.append((datetime.combine(start, time()), datetime.combine(end, last_minute)))
        start = next_month
    return result


def _find_store(topology: Topology, selection: str) -> dict[str, Any]:
    for store in topology["stores"]:
        if store["id"] == selection:
            return store
    raise JobError(f"unknown selection {selection!r}")


def _is_open(topology: Topology, store: dict[str, Any], day: date) -> bool:
    iso = day.isoformat()
    if iso < store["opened"] or iso[5:] in topology["closed_month_days"]:
        return False
    return not any(first <= iso <= last for first, last in store["closures"])


def daily_units(topology: Topology, store: dict[str, Any], category: str, day: date) -> int:
    """Units of a category sold by a store on a day (0 when closed)."""
    if not _is_open(topology, store, day):
        return 0
    share = topology["category_shares"][store["format"]][category]
    weekday = topology["formats"][store["format"]]["weekday"][day.weekday()]
    season = topology["seasons"][store["region"]][day.month - 1]
    elapsed = (day - date.fromisoformat(topology["epoch"])).days
    trend_bp = store["trend_bp_per_year"] * elapsed // 365
    spread = store["noise_bp"]
    noise_bp = _hash_int(topology["seed"], store["id"], category, day.isoformat()) % (2 * spread + 1) - spread
    factor_bp = max(0, 10000 + trend_bp + noise_bp)
    return store["base_units"] * share * weekday * season * factor_bp // (100 * 100 * 100 * 10000)


def _fixed(value: Fraction, places: int) -> str:
    """A non-negative value rounded half up to `places` decimals."""
    if value < 0:
        raise ValueError(f"negative value {value}")
    scale = 10**places
    scaled = int(value * scale + Fraction(1, 2))  # floor, as the value is >= 0
    if places == 0:
        return str(scaled)
    return f"{scaled // scale}.{scaled % scale:0{places}d}"


def _trailing_mean(series: dict[date, int], end: date, days: int) -> Fraction:
    return Fraction(sum(series[end - timedelta(days=i)] for i in range(days)), days)


def compute(topology: Topology, selection: str, start: datetime, end: datetime) -> str:
    """CSV rows (no header, "\\n" after each) of one store over one window.

    The window covers the days start.date() to end.date(), both included. The
    moving averages look back from the window's last day, across its start.
    """
    if end < start:
        raise JobError(f"window ends before it starts: {format_minute(start)} > {format_minute(end)}")
    store = _find_store(topology, selection)
    first, last = start.date(), end.date()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    open_days = sum(1 for day in days if _is_open(topology, store, day))
    lookback = [last - timedelta(days=i) for i in range(28)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for category in sorted(topology["category_shares"][store["format"]]):
        series = {day: daily_units(topology, store, category, day) for day in set(days) | set(lookback)}
        units = sum(series[day] for day in days)
        peak = max(days, key=lambda day: (series[day], -day.toordinal()))
        ma7 = _trailing_mean(series, last, 7)
        ma28 = _trailing_mean(series, last, 28)
        forecast = (3 * ma7 + 2 * ma28) / 5 * FORECAST_DAYS
        writer.writerow([
            store["id"], store["name"], store["region"], store["format"], category,
            format_minute(start), format_minute(end), open_days, units,
            _fixed(Fraction(units, open_days) if open_days else Fraction(0), 2),
            _fixed(ma7, 2), _fixed(ma28, 2), _fixed(forecast, 1),
            peak.isoformat() if series[peak] > 0 else "",
        ])
    return out.getvalue()


def export(results: Iterable[str], out: TextIO) -> None:
    """Writes the header, then each result (compute's text) as is, in order."""
    csv.writer(out, lineterminator="\n").writerow(HEADER)
    for result in results:
        out.write(result)


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD day: {text!r}") from None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="date_from", type=_parse_day, required=True, metavar="YYYY-MM-DD")
    parser.add_argument("--to", dest="date_to", type=_parse_day, required=True, metavar="YYYY-MM-DD")
    parser.add_argument("--window", choices=WINDOW_KINDS, default="month")
    parser.add_argument("--out", metavar="FILE", help="output CSV (default: stdout)")
    args = parser.parse_args(argv[1:])
    try:
        topology = build_topology()
        selections = list_selections(topology)
        results = []
        for selection in selections:
            for start, end in windows(args.date_from, args.date_to, args.window):
                results.append(compute(topology, selection, start, end))
    except JobError as error:
        print(f"monolith: {error}", file=sys.stderr)
        return 1
    if args.out is None:
        sys.stdout.reconfigure(encoding="utf-8", newline="\n")
        export(results, sys.stdout)
    else:
        with open(args.out, "w", encoding="utf-8", newline="") as out:
            export(results, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
