"""Fixtures for bench/reporting_deadline.py, run in a child process with the bench's DATABASE_URL.

    .venv/bin/python bench/_fixtures.py OUT.json [--agencies 30]

Creates (through the ORM and the project's own services) in the province 51 tree already loaded by
`tiendo load-units --province 51`:

- enough extra agencies (codes BENCHAG01…, kind agency, under province 51) that the group
  `bench-agencies` (the province's `so-ban-nganh` agencies + the extra ones) holds exactly N agencies;
- a superuser `bench-admin` with an admin token (read, write) for the bulk import;
- one reporter per reporting unit (the 96 communes of group `communes` + the N agencies), with the
  role `reporter` at its unit (`membership_set`) and a personal access token (`token_create`).

Writes {"admin_token", "units": [{"code", "kind", "token"}], "extra_agencies"} to OUT.json.
Not meant to be run on its own: reporting_deadline.py drops and recreates the database first.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--agencies", type=int, default=30)
    parser.add_argument("--province", default="51")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiendo.settings")
    import django

    django.setup()

    from django.contrib.auth.models import User
    from django.db import transaction

    from tiendo.api.auth import token_create
    from tiendo.orgunits.models import Membership, OrgUnit, UnitGroup
    from tiendo.orgunits.services import membership_set

    province = OrgUnit.objects.get(code=args.province, kind=OrgUnit.Kind.PROVINCE)
    with transaction.atomic():
        shipped = list(
            UnitGroup.objects.get(code="so-ban-nganh")
            .members.filter(path__startswith=province.path, kind=OrgUnit.Kind.AGENCY)
            .order_by("code")
        )[: args.agencies]
        extra = []
        for number in range(1, args.agencies - len(shipped) + 1):
            unit = OrgUnit(
                code=f"BENCHAG{number:02d}",
                name=f"Cơ quan thử tải {number:02d}",
                name_en=f"Benchmark agency {number:02d}",
                kind=OrgUnit.Kind.AGENCY,
                parent=province,
                source="bench/reporting_deadline.py",
            )
            unit.save()
            extra.append(unit)
        group, _ = UnitGroup.objects.get_or_create(
            code="bench-agencies",
            defaults={"name": "Cơ quan thử tải", "name_en": "Benchmark agencies"},
        )
        group.members.set([*shipped, *extra])

        admin = User.objects.create_superuser("bench-admin", email="", password=secrets.token_urlsafe(24))
        admin_token = token_create(actor=None, user=admin, name="bench-admin", scopes=["read", "write"])

        communes = list(
            UnitGroup.objects.get(code="communes")
            .members.filter(path__startswith=province.path, kind=OrgUnit.Kind.COMMUNE)
            .order_by("code")
        )
        agencies = sorted([*shipped, *extra], key=lambda u: u.code)
        units = []
        for unit in [*communes, *agencies]:
            user = User.objects.create_user(f"bench-{unit.code.lower()}")
            user.set_unusable_password()
            user.save(update_fields=["password"])
            membership_set(actor=admin, user=user, unit=unit, role=Membership.Role.REPORTER)
            token = token_create(actor=None, user=user, name="bench", scopes=["read", "write"])
            units.append({"code": unit.code, "kind": unit.kind, "token": token})

    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(
            {
                "admin_token": admin_token,
                "units": units,
                "communes": len(communes),
                "agencies": len(agencies),
                "shipped_agencies": len(shipped),
                "extra_agencies": len(extra),
            },
            handle,
        )
    print(
        f"fixtures: {len(communes)} communes, {len(agencies)} agencies "
        f"({len(shipped)} shipped so-ban-nganh + {len(extra)} BENCHAG…), "
        f"{len(units)} reporters with tokens, 1 superuser",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
