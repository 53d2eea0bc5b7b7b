"""What a dossier counts towards, as bits: `dossier_flags` in Python and `flags_sql` in SQL, side by side.

Each dossier carries `flags`, worked out once when it is stored. Counting is then integer bit tests
on one small column, the same rule in Python and SQL (tested equal), instead of ten conditions over
text and timestamps for two million rows.
"""

from __future__ import annotations

from datetime import datetime
from enum import IntFlag


class Flag(IntFlag):
    ONLINE = 1
    FULL_ONLINE = 2
    ONLINE_VNEID = 4
    RESOLVED = 8
    RESOLVED_ON_TIME = 16
    RESOLVED_ELIGIBLE = 32
    RESULT_ELECTRONIC = 64
    RATED = 128
    SATISFIED = 256
    SIMULATED = 512


# element code → (name, name_en, the flag a dossier needs to count; None: every dossier counts)
# (the order is the order of DossierCount's columns, COUNTED). Names are data: the element's own.
DERIVED: dict[str, tuple[str, str, Flag | None]] = {
    "HS_RECEIVED": ("Số hồ sơ thủ tục hành chính tiếp nhận trong kỳ", "Dossiers received", None),
    "HS_ONLINE": (
        "Số hồ sơ thủ tục hành chính nộp trực tuyến trong kỳ",
        "Dossiers submitted online",
        Flag.ONLINE,
    ),
    "HS_FULL_ONLINE": (
        "Số hồ sơ thủ tục hành chính được xử lý trực tuyến toàn trình",
        "Dossiers processed fully online",
        Flag.FULL_ONLINE,
    ),
    "HS_ONLINE_VNEID": (
        "Số hồ sơ nộp trực tuyến có người nộp được xác thực qua VNeID",
        "Online dossiers authenticated with VNeID",
        Flag.ONLINE_VNEID,
    ),
    "HS_RESOLVED": ("Số hồ sơ đã giải quyết", "Dossiers resolved", Flag.RESOLVED),
    "HS_RESOLVED_ON_TIME": (
        "Số hồ sơ giải quyết đúng hạn",
        "Dossiers resolved on time",
        Flag.RESOLVED_ON_TIME,
    ),
    "HS_RESOLVED_ELIGIBLE": (
        "Số hồ sơ đã giải quyết có kết quả đủ điều kiện cấp kết quả điện tử",
        "Resolved dossiers eligible for an electronic result",
        Flag.RESOLVED_ELIGIBLE,
    ),
    "HS_RESULT_ELECTRONIC": (
        "Số hồ sơ được cấp kết quả giải quyết điện tử",
        "Dossiers with an electronic result",
        Flag.RESULT_ELECTRONIC,
    ),
    "HS_RATED": ("Số hồ sơ dịch vụ công trực tuyến được đánh giá", "Online dossiers rated", Flag.RATED),
    "HS_SATISFIED": (
        "Số hồ sơ dịch vụ công trực tuyến được đánh giá hài lòng",
        "Online dossiers rated satisfied",
        Flag.SATISFIED,
    ),
}
ONLINE_CHANNELS = ("mot_phan", "toan_trinh")
_ONLINE, _FULL_ONLINE, _ONLINE_VNEID = int(Flag.ONLINE), int(Flag.FULL_ONLINE), int(Flag.ONLINE_VNEID)
_RESOLVED, _RESOLVED_ON_TIME = int(Flag.RESOLVED), int(Flag.RESOLVED_ON_TIME)
_RESOLVED_ELIGIBLE, _RESULT_ELECTRONIC = int(Flag.RESOLVED_ELIGIBLE), int(Flag.RESULT_ELECTRONIC)
_RATED, _SATISFIED, _SIMULATED = int(Flag.RATED), int(Flag.SATISFIED), int(Flag.SIMULATED)


def dossier_flags(
    *,
    channel: str,
    vneid: bool,
    status: str,
    due_at: datetime | None,
    resolved_at: datetime | None,
    result_eligible: bool,
    result_electronic: bool,
    rating: int | None,
    simulated: bool,
) -> int:
    """The bits of what one dossier counts towards. `flags_sql` is the same rule in SQL (tested equal)."""
    # plain ints (IntFlag's operators cost half of this function, and it runs for every dossier)
    flags = 0
    if channel in ONLINE_CHANNELS:
        flags |= _ONLINE
        if vneid:
            flags |= _ONLINE_VNEID
        if rating is not None:
            flags |= _RATED | (_SATISFIED if rating >= 4 else 0)
    if channel == "toan_trinh":
        flags |= _FULL_ONLINE
    if status == "resolved" and resolved_at is not None:
        flags |= _RESOLVED
        if due_at is None or resolved_at <= due_at:
            flags |= _RESOLVED_ON_TIME
        if result_eligible:
            flags |= _RESOLVED_ELIGIBLE | (_RESULT_ELECTRONIC if result_electronic else 0)
    if simulated:
        flags |= _SIMULATED
    return flags


def flags_sql(column: dict[str, str]) -> str:
    """`dossier_flags` as one SQL expression over the given column expressions (SQLite and PostgreSQL).

    `column` maps channel, vneid, status, due_at, resolved_at, result_eligible, result_electronic,
    rating and simulated to SQL expressions of the right types (booleans, timestamps, integers).
    """
    c = column
    online = f"{c['channel']} IN ('mot_phan', 'toan_trinh')"
    resolved = f"({c['status']} = 'resolved' AND {c['resolved_at']} IS NOT NULL)"
    parts = [
        (online, Flag.ONLINE),
        (f"{c['channel']} = 'toan_trinh'", Flag.FULL_ONLINE),
        (f"{online} AND {c['vneid']}", Flag.ONLINE_VNEID),
        (resolved, Flag.RESOLVED),
        (
            f"{resolved} AND ({c['due_at']} IS NULL OR {c['resolved_at']} <= {c['due_at']})",
            Flag.RESOLVED_ON_TIME,
        ),
        (f"{resolved} AND {c['result_eligible']}", Flag.RESOLVED_ELIGIBLE),
        (f"{resolved} AND {c['result_eligible']} AND {c['result_electronic']}", Flag.RESULT_ELECTRONIC),
        (f"{online} AND {c['rating']} IS NOT NULL", Flag.RATED),
        (f"{online} AND {c['rating']} >= 4", Flag.SATISFIED),
        (f"{c['simulated']}", Flag.SIMULATED),
    ]
    return (
        "("
        + " + ".join(f"CASE WHEN {condition} THEN {int(bit)} ELSE 0 END" for condition, bit in parts)
        + ")"
    )
