"""/api/v1/mode — the working mode: classic (requests become leads) or simple (client + deal)."""

from django.http import HttpRequest
from ninja import Router

from voronka.api.routers.items import body_pipeline, respond
from voronka.api.schemas.crm import ModeChangedOut, ModeIn, ModeOut
from voronka.crm.services.modes import crm_settings, open_lead_count, set_mode

router = Router(tags=["mode"])


def _mode() -> dict:
    row = crm_settings()
    return {
        "mode": row.mode,
        "simple_mode_pipeline_id": row.simple_mode_pipeline_id,
        "open_leads": open_lead_count(),
    }


@router.get("", response=ModeOut, summary="The working mode")
def get(request: HttpRequest):
    return respond(_mode())


@router.put("", response=ModeChangedOut, summary="Switch the working mode (administrators)")
def switch(request: HttpRequest, payload: ModeIn):
    """Switching to simple converts every open lead into a client and a deal."""
    converted = set_mode(payload.mode, pipeline=body_pipeline(payload.pipeline_id), actor=request.auth)
    return respond({**_mode(), "converted_leads": converted})


@router.post("", response=ModeChangedOut, summary="Switch the working mode (administrators)")
def switch_post(request: HttpRequest, payload: ModeIn):
    """The same as PUT, for clients that only POST."""
    return switch(request, payload)
