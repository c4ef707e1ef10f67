"""The assessment editions and the field part: a worked example with hand-computed numbers."""

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine

from issues.assessment import field
from issues.assessment import services as editions
from issues.models import (
    AssessmentEdition,
    AuditEvent,
    IndexCategory,
    IndexItem,
    IndexSystem,
    Inspection,
    InspectionResult,
    InspectionRound,
    Verdict,
)

TODAY = dt.date(2026, 12, 4)

# item code: (points, passed, failed) over the window; F is never observed
WORKED = {"A": (4, 8, 2), "B": (3, 6, 2), "C": (2, 6, 0), "D": (1, 1, 3), "E": (5, 9, 3), "F": (5, 0, 0)}


@pytest.fixture
def worked(city):
    """Six items, 40 observations in the window (and marks that must not count)."""
    system = IndexSystem.objects.create(name="2026版测评体系", year=2026)
    cats = [IndexCategory.objects.create(system=system, name=name, order=n) for n, name in enumerate(["环境", "秩序"])]
    items = {code: IndexItem.objects.create(system=system, category=cats[n % 2], code=code, name=f"指标{code}",
                                            points=Decimal(points))
             for n, (code, (points, _p, _f)) in enumerate(WORKED.items())}
    edition = AssessmentEdition.objects.create(name="2027年全国文明城市测评", assessed_on=dt.date(2027, 5, 20),
                                               index_system=system, is_current=True)

    def inspection(day):
        return Inspection.objects.create(site=city.market, site_type=city.market_type, held_on=day,
                                         inspector=city.office)

    # one inspection per observation index: the n-th inspection marks every item with more than n marks
    for n in range(12):
        walk = inspection(TODAY - dt.timedelta(days=n))
        for code, (_points, passed, failed) in WORKED.items():
            verdict = Verdict.PASS if n < passed else Verdict.FAIL if n < passed + failed else None
            if verdict:
                InspectionResult.objects.create(inspection=walk, index_item=items[code], verdict=verdict)
        if n == 0:  # 不适用 does not count, for F neither
            InspectionResult.objects.create(inspection=walk, index_item=items["F"], verdict=Verdict.NOT_APPLICABLE)
    old = inspection(TODAY - dt.timedelta(days=90))  # the 91st day back: outside the 90-day window
    InspectionResult.objects.create(inspection=old, index_item=items["F"], verdict=Verdict.FAIL)
    InspectionResult.objects.create(inspection=old, index_item=items["A"], verdict=Verdict.FAIL)
    return edition


def test_the_worked_example_gives_the_field_score_by_hand(worked, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # no nightly count kept: the items and their marks, counted live
        part = field.field_part(worked, TODAY)
        rates = {r.item.code: r.rate for r in part.items}
    assert part.observations == 40
    assert rates == {"A": Decimal("0.8"), "B": Decimal("0.75"), "C": Decimal("1"), "D": Decimal("0.25"),
                     "E": Decimal("0.75"), "F": None}
    # 46.3 × (4×0.8 + 3×0.75 + 2×1 + 1×0.25 + 5×0.75) / (4+3+2+1+5) = 46.3 × 11.45 / 15 = 35.342…
    assert part.score == Decimal("35.34")
    assert part.coverage == Decimal("0.7500")  # F's 5 of the 20 points were never observed
    assert [r.item.code for r in part.unobserved] == ["F"]
    # the most points lost first: E loses 1.25, A 0.8, B and D 0.75 (D's rate is lower), C none
    assert [r.item.code for r in part.observed] == ["E", "A", "D", "B", "C"]
    # a window that reaches the old inspection counts it: F gets a rate, coverage is whole
    wider = field.field_part(worked, TODAY, days=91)
    assert wider.coverage == Decimal("1.0000") and wider.observations == 42


def test_the_field_page_shows_the_score_the_items_and_what_was_never_checked(client, city, worked):
    client.force_login(city.leader)
    with time_machine.travel(dt.datetime(2026, 12, 4, 4, 0, tzinfo=dt.UTC)):
        page = client.get("/assessment/field/").content.decode()
        assert "35.34" in page and "75%" in page and "指标F" in page
        assert page.index("指标E") < page.index("指标A") < page.index("指标C")
        client.force_login(city.dongmen_liaison)
        assert client.get("/assessment/field/").status_code == 403


def test_the_dashboard_counts_down_to_the_current_edition(client, city, worked):
    client.force_login(city.leader)
    with time_machine.travel(dt.datetime(2026, 12, 4, 4, 0, tzinfo=dt.UTC)):
        response = client.get("/dashboard/")
    assert response.context["assessment_date"] == dt.date(2027, 5, 20) and response.context["countdown"] == 167


def test_the_office_adds_editions_and_chooses_the_current_one(client, city):
    client.force_login(city.office)
    form = {"name": "2027年测评", "assessed_on": "2027-05-20", "index_system": city.item.system_id,
            "field_weight": "46.3", "materials_weight": "39.7", "survey_weight": "10", "opinion_weight": "10",
            "field_window_days": "90", "note": ""}
    assert client.post("/assessment/", form).status_code == 302
    first = AssessmentEdition.objects.get()
    assert first.is_current and first.max_score == Decimal("106.00")  # the first one is current
    bad = client.post("/assessment/", {**form, "name": "2028年测评", "field_weight": "-1"})
    assert bad.status_code == 400 and AssessmentEdition.objects.count() == 1
    second = editions.create_edition(actor=city.office, name="2028年测评", assessed_on=dt.date(2028, 5, 1),
                                     index_system=city.item.system)
    assert not second.is_current
    assert client.post(f"/assessment/{second.pk}/current/").status_code == 302
    assert list(AssessmentEdition.objects.filter(is_current=True)) == [second]
    assert AuditEvent.objects.filter(action="edition_current", object_id=str(second.pk)).exists()
    client.force_login(city.leader)  # leaders read, and may not choose
    page = client.get("/assessment/").content.decode()
    assert "2028年测评" in page and "设为当前" not in page
    assert client.post(f"/assessment/{first.pk}/current/").status_code == 403


def test_the_dashboard_shows_what_the_city_would_score_part_by_part(client, city, worked):
    from issues.assessment import reads

    editions.record_opinion(actor=city.office, edition_id=worked.pk, month=dt.date(2026, 11, 1), score=Decimal("8"))
    editions.record_opinion(actor=city.office, edition_id=worked.pk, month=dt.date(2026, 12, 1),
                            score=Decimal("8.5"), note="第三方测评")
    row = reads.predicted(worked, TODAY)
    scores = {p.label: p.score for p in row["parts"]}
    assert scores == {"实地考察": Decimal("35.34"), "材料审核": None, "问卷调查": None, "征求意见": Decimal("8.5")}
    assert row["total"] == Decimal("43.84") and row["known_weight"] == Decimal("56.30")
    opinion = row["parts"][3]
    assert opinion.change == Decimal("0.5")
    # the field part at the end of November: its window ends on the 30th, before the 4 December marks
    assert row["parts"][0].change is not None
    client.force_login(city.leader)
    with time_machine.travel(dt.datetime(2026, 12, 4, 4, 0, tzinfo=dt.UTC)):
        page = client.get("/dashboard/").content.decode()
        assert "如果今天测评" in page and "43.84" in page and "尚无问卷" in page
        client.force_login(city.dongmen_liaison)
        assert client.get("/dashboard/").context["predicted"] is None


def test_the_office_enters_the_public_opinion_score_within_the_parts_weight(client, city, worked):
    client.force_login(city.office)
    assert client.post("/assessment/opinion/", {"month": "2026-11", "score": "12", "note": ""}).status_code == 400
    assert not worked.opinion_scores.exists()
    assert client.post("/assessment/opinion/", {"month": "2026-11", "score": "9", "note": "省测评中心"}).status_code == 302
    assert client.post("/assessment/opinion/", {"month": "2026-11", "score": "9.5", "note": "更正"}).status_code == 302
    entry = worked.opinion_scores.get()
    assert (entry.month, entry.score, entry.note) == (dt.date(2026, 11, 1), Decimal("9.5"), "更正")
    assert AuditEvent.objects.filter(action="opinion_recorded").count() == 2


# --- the mock assessment (模拟测评) ------------------------------------------------------------------


@pytest.fixture
def many_sites(city):
    """Ten markets and two schools beside 东门农贸市场."""
    from issues.models import Site, SiteType

    school, _ = SiteType.objects.get_or_create(code="PT-30", defaults={"name": "中小学校"})
    for n in range(10):
        Site.objects.create(name=f"农贸市场{n:02d}", site_type=city.market_type, address=f"市场路{n}号",
                            default_unit=city.dongmen)
    for n in range(2):
        Site.objects.create(name=f"实验小学{n}", site_type=school)
    Site.objects.create(name="停用的市场", site_type=city.market_type, is_active=False)
    city.item.site_types.add(city.market_type)
    return school


def test_a_draw_takes_n_per_type_and_the_same_seed_draws_the_same_sites(city, many_sites):
    from issues.field import mock

    plan = {t.code: [s.name for s in sites] for t, sites in mock.draw_sites(20261205, 3)}
    assert len(plan[city.market_type.code]) == 3 and len(plan["PT-30"]) == 2  # a type with fewer: all of it
    assert "停用的市场" not in plan[city.market_type.code]
    again = {t.code: [s.name for s in sites] for t, sites in mock.draw_sites(20261205, 3)}
    assert again == plan
    others = [{t.code: [s.name for s in sites] for t, sites in mock.draw_sites(seed, 3)}[city.market_type.code]
              for seed in (1, 2, 3)]
    assert any(o != plan[city.market_type.code] for o in others)  # a different seed, another sample


def test_the_office_draws_a_mock_round_prints_its_plan_and_its_walks_count(client, city, many_sites):
    import docx

    from issues.models import PlannedSite, RoundSource

    client.force_login(city.office)
    assert "抽取模拟测评点位" in client.get("/rounds/").content.decode()
    assert client.post("/rounds/draw/", {"name": "", "held_on": "2026-12-04", "per_type": "0"}).status_code == 400
    answer = client.post("/rounds/draw/", {"name": "12月模拟测评", "held_on": "2026-12-04", "per_type": "2",
                                           "seed": "777"})
    drawn = InspectionRound.objects.get(name="12月模拟测评")
    assert answer.status_code == 302 and (drawn.source, drawn.draw_seed, drawn.draw_per_type) == (
        RoundSource.MOCK, 777, 2)
    planned = list(PlannedSite.objects.filter(inspection_round=drawn).select_related("site"))
    assert len(planned) == 4  # two markets, two schools
    from issues.field import mock

    assert [p.site for p in planned if p.site_type_id == city.market_type.pk] == dict(
        mock.draw_sites(777, 2))[city.market_type]
    page = client.get(f"/rounds/{drawn.pk}/").content.decode()
    market = next(p.site for p in planned if p.site_type_id == city.market_type.pk)
    assert market.name in page and f"/sites/{market.pk}/inspect/?round={drawn.pk}" in page
    plan = docx.Document(io.BytesIO(client.get(f"/rounds/{drawn.pk}/plan.docx").content))
    text = "\n".join(p.text for p in plan.paragraphs) + "\n".join(
        c.text for t in plan.tables for r in t.rows for c in r.cells)
    assert market.name in text and "NM-08 环境卫生" in text and "777" in text
    # walking a drawn site in the round marks it inspected and its marks count in the field rates
    form = client.get(f"/sites/{market.pk}/inspect/?round={drawn.pk}").content.decode()
    assert f'<option value="{drawn.pk}" selected>' in form
    client.post(f"/sites/{market.pk}/inspect/", {"inspection_round": drawn.pk, f"v_{city.item.pk}": "pass"})
    assert Inspection.objects.get(site=market).inspection_round == drawn
    assert "已检查" in client.get(f"/rounds/{drawn.pk}/").content.decode()


def test_the_nightly_count_of_the_window_gives_the_same_part_as_counting_live(city, worked,
                                                                              django_assert_max_num_queries):
    """The dashboard reads the nightly job's count of the window ending yesterday, with today's marks added
    and those of the day that left the window (the old walk 90 days back) taken away."""
    from issues.models import FieldWindow

    live = field.field_part(worked, TODAY)
    editions.count_field_window(TODAY - dt.timedelta(days=1), 90)
    with django_assert_max_num_queries(4):
        kept = field.field_part(worked, TODAY)
        rates = {r.item.code: (r.passed, r.failed) for r in kept.items}
    assert rates == {r.item.code: (r.passed, r.failed) for r in live.items}
    assert kept.score == live.score == Decimal("35.34") and kept.coverage == live.coverage
    # the window of yesterday itself holds the old walk's marks and not today's
    yesterday = {r.item.code: (r.passed, r.failed) for r in field.field_part(worked, TODAY - dt.timedelta(days=1)).items}
    assert yesterday["F"] == (0, 1) and yesterday["A"] == (7, 3)
    # a walk recorded for a past day drops the counts that would have held it: read live again, and right
    from issues.field import services as inspections

    city.item.site_types.add(city.market_type)
    with time_machine.travel(dt.datetime(2026, 12, 4, 4, 0, tzinfo=dt.UTC)):
        assert FieldWindow.objects.exists()
        inspections.record_inspection(actor=city.office, site=city.market, marks=[
            inspections.Mark(item=item, verdict=Verdict.PASS)
            for item in inspections.checklist(city.market)], held_at=dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))
    assert not FieldWindow.objects.exists()


def test_the_nightly_job_keeps_yesterdays_window_and_month_ends_only(city, worked):
    from issues.escalation.services import run_escalations
    from issues.models import FieldWindow, JobDay

    JobDay.objects.create(date=dt.date(2026, 11, 27))
    run_escalations(today=TODAY)  # processes 11-28 … 12-03
    assert sorted(FieldWindow.objects.values_list("end", flat=True)) == [dt.date(2026, 11, 30), dt.date(2026, 12, 3)]
    assert field.field_part(worked, TODAY).score == Decimal("35.34")
