"""The assessment in the synthetic city: a current edition, checklist walks of the last 90 days for the
field part, and material requirements for every index item owed by every unit (the completeness
matrix at 1,000 units × 300 items); and the approved set's zip streamed from 5,000 files."""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import tempfile
import time
import tracemalloc
from pathlib import Path

from django.contrib.auth.models import User
from django.core.files.storage import FileSystemStorage
from django.db import transaction

from issues.materials import package
from issues.models import (
    AssessmentEdition,
    IndexItem,
    Inspection,
    InspectionResult,
    MaterialDeadline,
    MaterialRequirement,
    MaterialState,
    OpinionScore,
    Site,
    Unit,
    Verdict,
)

BATCH = 5000
REQUIREMENTS_PER_ITEM = 2
UNITS_PER_REQUIREMENT = 17  # the lead and 16 co-units: each of 1,000 units owes about ten items


@transaction.atomic
def build_assessment(*, today: dt.date, seed: int = 25) -> dict:
    """Add the edition, the walks and the requirements to a built city (or a reused one without them)."""
    if AssessmentEdition.objects.exists():
        return {}
    rnd = random.Random(seed)
    items = list(IndexItem.objects.filter(system__is_current=True).order_by("pk"))
    edition = AssessmentEdition.objects.create(name="基准测试测评", assessed_on=today + dt.timedelta(days=120),
                                               index_system=items[0].system, is_current=True)
    OpinionScore.objects.create(edition=edition, month=today.replace(day=1), score=8)
    office = User.objects.get(username="bench-office")
    sites = list(Site.objects.order_by("pk").values_list("pk", "site_type_id"))
    walks = [Inspection(site_id=pk, site_type_id=type_id, inspector=office, held_on=today - dt.timedelta(days=n % 90))
             for n, (pk, type_id) in enumerate(sites)]
    Inspection.objects.bulk_create(walks, batch_size=BATCH)
    results = [InspectionResult(inspection=walk, index_item=item,
                                verdict=Verdict.PASS if rnd.random() < 0.8 else Verdict.FAIL)
               for walk in walks for item in rnd.sample(items, 8)]
    InspectionResult.objects.bulk_create(results, batch_size=BATCH)
    units = list(Unit.objects.order_by("pk").values_list("pk", flat=True))
    states = [MaterialState.APPROVED] * 5 + [MaterialState.PENDING, MaterialState.RETURNED, MaterialState.MISSING] * 2
    requirements = []
    for item in items:
        for n in range(REQUIREMENTS_PER_ITEM):
            status = rnd.choice(states)
            requirements.append(MaterialRequirement(
                item=item, title=f"材料{n + 1}", lead_unit_id=rnd.choice(units), due_on=today + dt.timedelta(days=30),
                status=status, approved_on=today - dt.timedelta(days=rnd.randrange(60)) if status == "approved" else None,
                miss_count=1 if status != "approved" and rnd.random() < 0.2 else 0, order=n))
    MaterialRequirement.objects.bulk_create(requirements, batch_size=BATCH)
    requirements = list(MaterialRequirement.objects.order_by("pk"))
    MaterialDeadline.objects.bulk_create(
        [MaterialDeadline(requirement=r, seq=1, unit_id=r.lead_unit_id, issued_on=today, due_on=r.due_on)
         for r in requirements], batch_size=BATCH)
    through = MaterialRequirement.co_units.through
    rows, position = [], 0
    for requirement in requirements:  # round-robin, so every unit owes something
        for k in range(UNITS_PER_REQUIREMENT - 1):
            unit_id = units[(position + k) % len(units)]
            if unit_id != requirement.lead_unit_id:
                rows.append(through(materialrequirement_id=requirement.pk, unit_id=unit_id))
        position += UNITS_PER_REQUIREMENT - 1
    through.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
    return {"inspections": len(walks), "inspection_results": len(results), "material_requirements": len(requirements),
            "material_co_units": len(rows)}


def count_field_windows(today: dt.date) -> None:
    """What last night's job left: the field marks of the window ending yesterday and of last month's end."""
    from issues.assessment.services import count_field_window

    edition = AssessmentEdition.current()
    for end in (today - dt.timedelta(days=1), today.replace(day=1) - dt.timedelta(days=1)):
        count_field_window(end, edition.field_window_days)


def _stream_peak(storage, entries) -> tuple[float, float, int]:
    """(seconds, peak traced memory in MB, archive bytes) of streaming the zip of `entries`."""
    tracemalloc.start()
    started = time.perf_counter()
    size = sum(len(block) for block in package.stream(entries, storage))
    seconds = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 1048576, size


def measure_package(n: int = 5_000, size: int = 20 * 1024) -> dict:
    """The zip of n files of `size` bytes against a tenth of them: memory must not grow with the count."""
    folder = Path(tempfile.mkdtemp(prefix="bench-package-"))
    try:
        storage = FileSystemStorage(location=folder)
        entries = []
        for i in range(n):
            name = f"f{i:05d}.pdf"
            (folder / name).write_bytes(b"%PDF-1.4\n" + os.urandom(size // 2) + bytes(size // 2))
            entries.append((f"{i % 20:02d} 测评项目/B-{i % 300:03d} 测评内容/B-{i % 300:03d} 材料{i}.pdf", name))
        small_s, small_mb, _small_size = _stream_peak(storage, entries[: n // 10])
        seconds, peak_mb, archive = _stream_peak(storage, entries)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"files": n, "seconds": round(seconds, 2), "archive_mb": round(archive / 1048576, 1),
            "peak_mb": round(peak_mb, 1), "peak_mb_tenth": round(small_mb, 1), "tenth_seconds": round(small_s, 2)}
