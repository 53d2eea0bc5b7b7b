"""/api/v1/dossiers: systems (the province's public-service portal, LGSP) push dossier batches."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from tiendo.analytics.dossiers import dossiers_import
from tiendo.analytics.schemas import DossierBatchIn, DossierBatchOut
from tiendo.api.auth import SystemOrSessionAuth, require_write_scope

router = Router(tags=["analytics"])
auth = SystemOrSessionAuth()


@router.post(
    "/dossiers",
    response=DossierBatchOut,
    auth=auth,
    summary="Upsert a batch of public-service dossiers (all or nothing; idempotent on dossier_id)",
)
def dossiers_push(request: HttpRequest, body: DossierBatchIn):
    require_write_scope(request)
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
