"""Excel in the browser: upload lists, get the template, export the filtered ledger, follow a job."""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from issues.excel import jobs as excel_jobs
from issues.excel import ledger_export, ledger_template
from issues.excel.common import ExcelRefused, save_upload
from issues.excel.tasks import run_excel_job
from issues.models import ExcelJob
from issues.views.decorators import office_required

KINDS = {"ledger": ExcelJob.Kind.IMPORT_LEDGER, "units": ExcelJob.Kind.IMPORT_UNITS,
         "index": ExcelJob.Kind.IMPORT_INDEX}


def _attachment(path: Path, name: str, *, delete: bool = False) -> FileResponse:
    handle = path.open("rb")
    response = FileResponse(handle, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    if delete:
        path.unlink()  # the open handle keeps the data until the response is sent (POSIX)
    return response


@office_required
@require_safe
def imports(request):
    jobs = ExcelJob.objects.filter(created_by=request.user).exclude(kind=ExcelJob.Kind.EXPORT_LEDGER)[:10]
    return render(request, "issues/imports.html", {"jobs": jobs, "max_mb": settings.IMPORT_MAX_BYTES // 1048576,
                                                   "async_rows": settings.IMPORT_ASYNC_ROWS})


def _row_count(path: Path) -> int:
    """The first sheet's size."""
    from issues.excel.common import open_sheet

    return open_sheet(path).size  # refuses what cannot be read, with the reason


@office_required
@require_POST
def import_upload(request, kind):
    if kind not in KINDS:
        raise Http404
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("请选择要导入的 Excel 文件。"))
        return redirect("imports")
    path = save_upload(upload)  # the size, the format and zip bombs are checked by check_file
    options = {"dry_run": bool(request.POST.get("dry_run")), "create_sites": bool(request.POST.get("create_sites")),
               "system": request.POST.get("system", "").strip()}
    try:
        rows = _row_count(path)
    except ExcelRefused as exc:
        path.unlink(missing_ok=True)
        messages.error(request, _("“%(name)s”未导入：%(reason)s") % {"name": upload.name, "reason": exc})
        return redirect("imports")
    job = ExcelJob.objects.create(kind=KINDS[kind], created_by=request.user, filename=upload.name[:200],
                                  source=excel_jobs.relative(path), options=options, total=max(rows - 1, 0))
    if kind == "ledger" and rows > settings.IMPORT_ASYNC_ROWS:
        transaction.on_commit(lambda: run_excel_job.delay(job.pk))
        return redirect("excel_job", pk=job.pk)
    job = excel_jobs.run(job.pk)
    return render(request, "issues/import_report.html", {"job": job, "report": job.report})


@office_required
@require_safe
def import_template(request):
    path = Path(tempfile.mkstemp(suffix=".xlsx")[1])
    ledger_template.write_template(path)
    return _attachment(path, "交办问题清单模板.xlsx", delete=True)


@login_required
@require_safe
def export_ledger(request):
    """The ledger workbook for the ledger page's current filters: at once when small, else as a job."""
    user, today = request.user, timezone.localdate()
    query = request.GET.copy()
    query.pop("page", None)
    try:
        findings, sanctions, entries = ledger_export.selection(user, query, today=today)
    except ValueError:
        messages.error(request, _("筛选条件有误，无法导出。"))
        return redirect("ledger")
    count = findings.count()
    name = f"创文整改台账-{today:%Y%m%d}.xlsx"
    if count > settings.EXPORT_ASYNC_ROWS:
        job = ExcelJob.objects.create(kind=ExcelJob.Kind.EXPORT_LEDGER, created_by=user, filename=name,
                                      options={"query": query.urlencode()}, total=count)
        transaction.on_commit(lambda: run_excel_job.delay(job.pk))
        return redirect("excel_job", pk=job.pk)
    path = Path(tempfile.mkstemp(suffix=".xlsx")[1])
    ledger_export.write_workbook(path, findings=findings, sanctions=sanctions, entries=entries)
    return _attachment(path, name, delete=True)


def _own_job(request, pk) -> ExcelJob:
    return get_object_or_404(ExcelJob, pk=pk, created_by=request.user)


@login_required
@require_safe
def excel_job(request, pk):
    job = excel_jobs.live(_own_job(request, pk))
    return render(request, "issues/excel_job.html", {"job": job, "report": job.report})


@login_required
@require_safe
def excel_job_status(request, pk):
    job = excel_jobs.live(_own_job(request, pk))
    return JsonResponse({"status": job.status, "status_label": job.get_status_display(), "done": job.done,
                         "total": job.total, "percent": job.percent, "error": job.error,
                         "finished": job.status in (ExcelJob.Status.DONE, ExcelJob.Status.FAILED)})


@login_required
@require_safe
def excel_job_download(request, pk):
    job = _own_job(request, pk)
    if job.status != ExcelJob.Status.DONE or not job.result:
        raise Http404(_("文件还没有生成。"))
    path = excel_jobs.media_path(job.result)
    if not path.exists():
        raise Http404(_("文件已被清理，请重新导出。"))
    return _attachment(path, job.filename or path.name)
