"""/api/v1/dossiers: systems (the province's public-service portal, LGSP) push dossier batches."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from tiendo.analytics.feed import dossiers_import
from tiendo.analytics.schemas import DossierBatchIn, DossierBatchOut
from tiendo.core.api_access import WRITE

router = Router(tags=["analytics"])


@router.post(
    "/dossiers",
    response=DossierBatchOut,
    auth=WRITE,
    summary="Upsert a batch of public-service dossiers (all or nothing; idempotent on dossier_id)",
)
def dossiers_push(request: HttpRequest, body: DossierBatchIn):
    result = dossiers_import(
        records=[record.model_dump() for record in body.dossiers],
        feed=body.feed,
        actor=request.user,
        actor_label=f"API {request.user.get_username()}",
    )
    return {
        "rows": result.rows,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "cells": len(result.cells),
    }
