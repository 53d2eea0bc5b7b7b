import csv

import pytest

from tiendo.analytics.feed import dossiers_import
from tiendo.analytics.generator import SEED_2025, generate

pytestmark = pytest.mark.django_db


def test_generated_dossiers_follow_the_published_2025_ratios_and_are_marked_simulated(tmp_path, shipped_data):
    path = tmp_path / "d.csv"
    generate(
        path=path, year=2025, count=20_000, seed=7, communes=["21211", "21172"], agencies=["SKHCN", "STC"]
    )
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == 20_000 and all(r["simulated"] == "1" for r in rows)
    online = [r for r in rows if r["channel"] != "truc_tiep"]
    full = sum(r["channel"] == "toan_trinh" for r in online) / len(online)
    eligible = [r for r in rows if r["result_eligible"] == "1"]
    electronic = sum(r["result_electronic"] == "1" for r in eligible) / len(eligible)
    rated = [r for r in online if r["rating"]]
    satisfied = sum(int(r["rating"]) >= 4 for r in rated) / len(rated)
    assert full == pytest.approx(SEED_2025["full_online_share_of_online"], abs=0.015)
    assert electronic == pytest.approx(SEED_2025["electronic_result_share"], abs=0.015)
    assert satisfied == pytest.approx(SEED_2025["satisfied_share"], abs=0.015)


def test_the_same_seed_gives_the_same_file_and_it_imports(tmp_path, shipped_data):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    for path in (first, second):
        generate(path=path, year=2026, count=500, seed=3, communes=["21211"], agencies=["SKHCN"])
    assert first.read_bytes() == second.read_bytes()
    result = dossiers_import(path=first)
    assert result.created == 500
    from tiendo.analytics.models import DossierCount

    cells = list(DossierCount.objects.all())
    assert cells and all(cell.simulated == cell.received for cell in cells)  # every dossier marked simulated
