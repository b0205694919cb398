"""/api/v1/sources — where requests come from (everybody reads; administrators change)."""

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router

from voronka.api.routers.items import respond
from voronka.api.schemas.common import Id
from voronka.api.schemas.sources import SourceIn, SourceList, SourceOut, SourcePatch, source_dict
from voronka.crm.selectors.pipelines import sources
from voronka.crm.services import pipelines as services
from voronka.lib.errors import NotFound

router = Router(tags=["sources"])


def _source(source_id: int):
    source = sources(active_only=False).filter(pk=source_id).first()
    if source is None:
        raise NotFound("source.not_found", _("There is no such source."))
    return source


@router.get("", response=SourceList, summary="List sources")
def list_sources(request: HttpRequest, include_inactive: Query[bool] = False):
    return respond({"items": [source_dict(s) for s in sources(active_only=not include_inactive)]})


@router.post("", response={201: SourceOut}, summary="Add a source (administrators)")
def create(request: HttpRequest, payload: SourceIn):
    source = services.create_source(name=payload.name, code=payload.code, actor=request.auth)
    return respond(source_dict(source), status=201)


@router.get("/{source_id}", response=SourceOut, summary="Get a source")
def get(request: HttpRequest, source_id: Path[Id]):
    return respond(source_dict(_source(source_id)))


@router.patch("/{source_id}", response=SourceOut, summary="Rename or switch off a source (administrators)")
def update(request: HttpRequest, source_id: Path[Id], payload: SourcePatch):
    source = services.update_source(
        _source(source_id), actor=request.auth, **payload.model_dump(exclude_unset=True)
    )
    return respond(source_dict(source))
