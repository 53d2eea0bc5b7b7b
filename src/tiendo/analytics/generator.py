"""Simulated public-service dossiers for the demo and the benchmark (`tiendo gen-dossiers`).

Every row is marked `simulated=1`, and every value derived from it is marked simulated wherever it
is shown. Distributions follow what the 2026 plan publishes for 2025
(../shared/seeds/004_a51d19eae1efd1eb.txt, Phụ lục 1 and section II.7):
  2,032,573 dossiers for 2,985 procedures; procedures: 1,891 at province level, 395 at commune level;
  1,059 procedures (47,09%) online in part, 987 (43,89%) fully online, 203 (9,03%) not online;
  75,15% of online dossiers fully online; 83,28% of results issued electronically; 95,32% satisfied.
Not published, so chosen and stated here: 60% of dossiers at commune level; 70% of dossiers
submitted online; 92% resolved, 6% in progress, 2% cancelled; 95% of resolved dossiers on time;
90% of resolved results eligible for electronic issue; 35% of online dossiers rated; 80% of online
applicants authenticated through VNeID; arrival uniform over working days and hours.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypedDict
from zoneinfo import ZoneInfo

from tiendo.analytics.feed import COLUMNS


class Seed(TypedDict):
    dossiers: int
    procedures: int
    procedures_province: int
    procedures_commune: int
    procedures_partly_online: int
    procedures_fully_online: int
    procedures_not_online: int
    full_online_share_of_online: float
    electronic_result_share: float
    satisfied_share: float


SEED_2025: Seed = {
    "dossiers": 2_032_573,
    "procedures": 2_985,
    "procedures_province": 1_891,
    "procedures_commune": 395,
    "procedures_partly_online": 1_059,
    "procedures_fully_online": 987,
    "procedures_not_online": 203,
    "full_online_share_of_online": 0.7515,
    "electronic_result_share": 0.8328,
    "satisfied_share": 0.9532,
}
COMMUNE_SHARE = 0.60
ONLINE_SHARE = 0.70
RATED_SHARE = 0.35
VNEID_SHARE = 0.80
ELIGIBLE_SHARE = 0.90
ON_TIME_SHARE = 0.95


@dataclass(frozen=True)
class Procedure:
    code: str
    level: str
    online: str  # "toan_trinh", "mot_phan" or "" (not online)


def procedures(rng: random.Random) -> list[Procedure]:
    """2,985 procedures: levels and online kinds in the seed's proportions."""
    total = SEED_2025["procedures"]
    commune_share = SEED_2025["procedures_commune"] / (
        SEED_2025["procedures_commune"] + SEED_2025["procedures_province"]
    )
    kinds = (
        ["mot_phan"] * SEED_2025["procedures_partly_online"]
        + ["toan_trinh"] * SEED_2025["procedures_fully_online"]
        + [""] * SEED_2025["procedures_not_online"]
    )
    result = []
    for index in range(total):
        level = "xa" if rng.random() < commune_share else "tinh"
        result.append(
            Procedure(f"{'2' if level == 'xa' else '1'}.{index:06d}", level, kinds[index % len(kinds)])
        )
    return result


def generate(
    *,
    path: Path,
    year: int,
    count: int,
    seed: int,
    communes: list[str],
    agencies: list[str],
    until: date | None = None,
) -> int:
    """Write `count` dossiers of `year`, received no later than `until`, to `path`. The same seed gives the same file."""
    rng = random.Random(seed)
    catalogue = procedures(rng)
    days = [
        date(year, 1, 1) + timedelta(days=i) for i in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)
    ]
    draw = _Draw(
        year=year,
        seed=seed,
        communes=communes,
        agencies=agencies,
        working_days=[d for d in days if d.weekday() < 5 and (until is None or d <= until)],
        by_level={
            level: {
                kind: [p.code for p in catalogue if p.level == level and (p.online == kind)]
                for kind in ("toan_trinh", "mot_phan", "")
            }
            for level in ("xa", "tinh")
        },
    )
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*COLUMNS, "simulated"])
        for index in range(count):
            writer.writerow(_dossier(rng, draw, index))
    return count


@dataclass(frozen=True)
class _Draw:
    """What the dossiers are drawn from: the units, the year's working days, the procedures by level
    and online kind."""

    year: int
    seed: int
    communes: list[str]
    agencies: list[str]
    working_days: list[date]
    by_level: dict[str, dict[str, list[str]]]
    tz: ZoneInfo = ZoneInfo("Asia/Ho_Chi_Minh")


def _dossier(rng: random.Random, draw: _Draw, index: int) -> list[object]:
    """One simulated dossier's cells (the draws in a fixed order: the same seed gives the same file)."""
    level = "xa" if rng.random() < COMMUNE_SHARE else "tinh"
    unit = rng.choice(draw.communes if level == "xa" else draw.agencies)
    online = rng.random() < ONLINE_SHARE
    full_share = SEED_2025["full_online_share_of_online"]
    channel = ("toan_trinh" if rng.random() < full_share else "mot_phan") if online else "truc_tiep"
    pool = draw.by_level[level][channel if online else ""] or draw.by_level[level]["mot_phan"]
    day = rng.choice(draw.working_days)
    received = datetime(day.year, day.month, day.day, rng.randint(7, 16), rng.randint(0, 59), tzinfo=draw.tz)
    allowed = rng.randint(1, 15)
    due = received + timedelta(days=allowed)
    roll = rng.random()
    status = "resolved" if roll < 0.92 else ("processing" if roll < 0.98 else "cancelled")
    resolved, eligible, electronic = (
        _resolution(rng, received, allowed) if status == "resolved" else ("", 0, 0)
    )
    rating = ""
    if online and rng.random() < RATED_SHARE:
        rating = str(rng.randint(4, 5) if rng.random() < SEED_2025["satisfied_share"] else rng.randint(1, 3))
    vneid = 1 if online and rng.random() < VNEID_SHARE else 0
    return [
        f"QNG-{draw.year}-{draw.seed}-{index:08d}",
        rng.choice(pool),
        level,
        unit,
        received.isoformat(),
        due.isoformat(),
        resolved,
        channel,
        vneid,
        eligible,
        electronic,
        rating,
        status,
        1,
    ]


def _resolution(rng: random.Random, received: datetime, allowed: int) -> tuple[str, int, int]:
    """A resolved dossier's resolution time, and whether its result may be and was issued electronically."""
    on_time = rng.random() < ON_TIME_SHARE
    spent = (
        timedelta(hours=rng.randint(1, allowed * 24))
        if on_time
        else timedelta(days=allowed + rng.randint(1, 10))
    )
    eligible = 1 if rng.random() < ELIGIBLE_SHARE else 0
    electronic = 1 if eligible and rng.random() < SEED_2025["electronic_result_share"] else 0
    return (received + spent).isoformat(), eligible, electronic
