"""Running an import or export as a job: the Celery task and the page's progress bar share this."""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.http import QueryDict
from django.utils import timezone

from issues.excel import ledger_export, ledger_import, registry_import
from issues.excel.common import ExcelRefused
from issues.models import ExcelJob

log = logging.getLogger(__name__)


def media_path(relative: str) -> Path:
    return Path(settings.MEDIA_ROOT) / relative


def relative(path: Path) -> str:
    return str(Path(path).relative_to(settings.MEDIA_ROOT))


def progress_path(job_id: int) -> Path:
    return media_path(f"jobs/{job_id:06d}.progress")


def _progress(job: ExcelJob):
    """How far the job is, in a small file beside the media: an import writes inside one transaction,
    so a progress count written to the database there would show nothing until the very end."""
    path = progress_path(job.pk)
    path.parent.mkdir(parents=True, exist_ok=True)

    def report(done: int, total: int) -> None:
        scratch = path.with_suffix(".tmp")
        scratch.write_text(f"{done} {total}")
        scratch.replace(path)  # a reader sees the old figures or the new, never half

    return report


def live(job: ExcelJob) -> ExcelJob:
    """The job with the progress its worker last reported, while it runs."""
    if job.status == ExcelJob.Status.RUNNING:
        try:
            done, total = (int(n) for n in progress_path(job.pk).read_text().split())
        except (OSError, ValueError):
            return job
        job.done = done
        if total:
            job.total = total
    return job


def run(job_id: int) -> ExcelJob:
    """Do the job's work once; a job already finished or running elsewhere is left alone."""
    claimed = ExcelJob.objects.filter(pk=job_id, status=ExcelJob.Status.QUEUED).update(status=ExcelJob.Status.RUNNING)
    job = ExcelJob.objects.select_related("created_by").get(pk=job_id)
    if not claimed:
        return job
    user, options = job.created_by, job.options
    try:
        if job.kind == ExcelJob.Kind.EXPORT_LEDGER:
            out = media_path(f"exports/{job.pk:06d}-{timezone.now():%Y%m%d%H%M%S}.xlsx")
            out.parent.mkdir(parents=True, exist_ok=True)
            count = ledger_export.export_for(user, QueryDict(options.get("query", "")), out,
                                             progress=_progress(job))
            job.result, job.report = relative(out), {"rows": count}
        else:
            source = media_path(job.source)
            if job.kind == ExcelJob.Kind.IMPORT_LEDGER:
                result = ledger_import.import_ledger(
                    source, actor=user, dry_run=options.get("dry_run", False),
                    create_sites=options.get("create_sites", False), filename=job.filename, progress=_progress(job))
            elif job.kind == ExcelJob.Kind.IMPORT_UNITS:
                result = registry_import.import_units(source, actor=user, dry_run=options.get("dry_run", False))
            else:
                result = registry_import.import_index(source, actor=user, dry_run=options.get("dry_run", False),
                                                      system_name=options.get("system", ""), filename=job.filename)
            job.report = result.as_dict()
        job.status = ExcelJob.Status.DONE
    except ExcelRefused as exc:
        job.status, job.error = ExcelJob.Status.FAILED, str(exc)
    except Exception as exc:  # a job must end with a status the page can show
        log.exception("excel job %s failed", job.pk)
        job.status, job.error = ExcelJob.Status.FAILED, f"处理时出错：{exc}"
    job.finished_at = timezone.now()
    fields = {"status": job.status, "error": job.error, "report": job.report, "result": job.result,
              "finished_at": job.finished_at}
    if job.status == ExcelJob.Status.DONE:
        fields["done"] = job.total  # small jobs report no progress on the way
    ExcelJob.objects.filter(pk=job.pk).update(**fields)
    progress_path(job.pk).unlink(missing_ok=True)
    job.refresh_from_db()
    return job
