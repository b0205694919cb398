"""The import wizard (upload -> columns -> check -> import in the background), import history, export.

Adapters only: files are read by voronka.imports, jobs started and queued by its services, and
read through its selectors; the export streams what voronka.imports.exports yields.
"""

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from voronka.crm.models import Communication
from voronka.crm.selectors.items import MODELS
from voronka.imports import exports, mapping, selectors
from voronka.imports.services import Options, column_mapping, open_file, queue_import, start_import
from voronka.lib.errors import Conflict, DomainError, NotFound
from voronka.web_imports.forms import UploadForm

_DRAFTS = "import_drafts"
Label = Communication.Label
PREVIEW_ROWS = 8


def _context(request, **values):
    return {"htmx_available": bool(finders.find("vendor/htmx.min.js")), **values}


@login_required
@require_GET
def history(request):
    """The imports the user started (all imports for administrators), newest first."""
    jobs = selectors.visible_jobs(request.user)[:100]
    kinds = [(kind, MODELS[kind]._meta.verbose_name_plural) for kind in exports.COLUMNS]
    return render(request, "web_imports/history.html", _context(request, jobs=jobs, kinds=kinds))


@login_required
def upload(request):
    """Step 1: the file and what it holds."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        token = secrets.token_urlsafe(12)
        path = _store(form.cleaned_data["file"], token)
        data = form.cleaned_data
        draft = {
            "path": str(path),
            "name": data["file"].name,
            "entity": data["entity"],
            "on_duplicate": data["on_duplicate"],
            "pipeline_id": data["pipeline"].pk if data["pipeline"] else None,
            "assign_to_id": data["assign_to"].pk if data["assign_to"] else None,
            "encoding": data["encoding"].strip(),
            "mapping": None,
        }
        try:
            open_file(path, _options(draft))
        except DomainError as error:
            form.add_error("file" if "encoding" not in error.code else "encoding", str(error.message))
        else:
            request.session.setdefault(_DRAFTS, {})[token] = draft
            request.session.modified = True
            return redirect("imports:draft", token=token)
    return render(request, "web_imports/upload.html", _context(request, form=form))


def _store(upload, token: str) -> Path:
    folder = Path(settings.IMPORTS_DIR) / "uploads" / token
    folder.mkdir(parents=True, exist_ok=True)
    safe = Path(upload.name).name.replace("\x00", "")[-120:] or "upload"
    path = folder / safe
    with open(path, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return path


def _options(draft: dict) -> Options:
    return Options(
        entity=draft["entity"],
        on_duplicate=draft["on_duplicate"],
        mapping=draft.get("mapping") or None,
        pipeline_id=draft.get("pipeline_id"),
        assign_to_id=draft.get("assign_to_id"),
        encoding=draft.get("encoding", ""),
    )


def _draft(request, token: str) -> dict:
    draft = request.session.get(_DRAFTS, {}).get(token)
    if draft is None or not Path(draft["path"]).is_file():
        raise Http404(_("This import is no longer here. Upload the file again."))
    return draft


@login_required
def draft(request, token: str):
    """Step 2: what was detected, the first rows, and the columns' fields (editable); then check or import."""
    draft = _draft(request, token)
    error = None
    if request.method == "POST":
        draft["mapping"] = {
            f"#{index + 1}": request.POST.get(f"column-{index}") or None
            for index in range(int(request.POST.get("columns", "0") or 0))
        }
        request.session.modified = True
        try:
            job = start_import(
                draft["path"],
                options=_options(draft),
                actor=request.user,
                file_name=draft["name"],
                stored=True,
                dry_run=request.POST.get("action") == "check",
                again=bool(request.POST.get("again")),
            )
            queue_import(job, actor=request.user)
        except Conflict as conflict:
            error = conflict
        except DomainError as refusal:
            error = refusal
        else:
            request.session.setdefault("import_job_drafts", {})[str(job.pk)] = token
            request.session.modified = True
            return redirect("imports:job", job_id=job.pk)
    options = _options(draft)
    try:
        table = open_file(draft["path"], options)
        found = column_mapping(table, options)
    except DomainError as refusal:
        return render(
            request, "web_imports/draft.html", _context(request, draft=draft, fatal=refusal, token=token)
        )
    preview = [(number, [mapping_cell(c) for c in cells]) for number, cells in table.preview(PREVIEW_ROWS)]
    return render(
        request,
        "web_imports/draft.html",
        _context(
            request,
            draft=draft,
            token=token,
            table=table,
            preview=preview,
            error=error,
            columns=list(zip(range(len(found.headers)), found.headers, found.targets, strict=True)),
            choices=_choices(draft["entity"]),
            already_done=isinstance(error, Conflict),
        ),
    )


def mapping_cell(value) -> str:
    from voronka.imports.values import cell_text

    return cell_text(value)


def _choices(entity: str) -> list[tuple[str, str]]:
    from voronka.crm.services.bulk import load_context

    choices: list[tuple[str, str]] = []
    for target in mapping.TARGETS[entity]:
        label = str(mapping.LABELS[target])
        if target == "phone":
            choices += [(f"phone:{code}", f"{label} ({Label(code).label})") for code in mapping.PHONE_LABELS]
        elif target == "email":
            choices += [(f"email:{code}", f"{label} ({Label(code).label})") for code in mapping.EMAIL_LABELS]
        else:
            choices.append((target, label))
    for field in load_context(entity).custom_fields:
        choices.append((f"custom:{field.code}", field.name))
    return choices


@login_required
@require_GET
def job(request, job_id: int):
    """Step 3: the import's progress, then its result and error report."""
    found = _job(request, job_id)
    token = request.session.get("import_job_drafts", {}).get(str(found.pk))
    return render(request, "web_imports/job.html", _context(request, job=found, token=token))


@login_required
@require_GET
def progress(request, job_id: int):
    """The progress fragment the job page polls."""
    found = _job(request, job_id)
    token = request.session.get("import_job_drafts", {}).get(str(found.pk))
    return render(request, "web_imports/job.html#progress", _context(request, job=found, token=token))


def _job(request, job_id: int):
    try:
        return selectors.get_visible_job(request.user, job_id)
    except NotFound:
        raise Http404(_("Import not found.")) from None


@login_required
@require_GET
def errors(request, job_id: int):
    """Download the error report: the failed rows with the reason."""
    found = _job(request, job_id)
    if not found.error_file or not Path(found.error_file).is_file():
        raise Http404(_("This import has no error report."))
    name = f"{Path(found.file_name).stem}-errors.csv"
    return FileResponse(
        open(found.error_file, "rb"), as_attachment=True, filename=name, content_type="text/csv"
    )


@login_required
@require_GET
def export(request, kind: str):
    """Stream the filtered list of `kind` the user may export, as CSV or XLSX."""
    if kind not in exports.COLUMNS:
        raise Http404
    fmt = request.GET.get("format", "csv")
    try:
        chunks = exports.stream(request.user, kind, exports.filter_from(request.GET), fmt)
    except DomainError as error:
        return render(request, "web_imports/refused.html", _context(request, error=error), status=400)
    content_type, extension = exports.FORMATS[fmt]
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{MODELS[kind]._meta.model_name}s.{extension}"'
    return response
