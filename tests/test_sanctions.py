"""Sanctions as people meet them: the list, the evidence, lifting, outcomes, and the Word documents."""

import datetime as dt
import io
import shutil
import subprocess

import pytest
from docx import Document

from issues.escalation import services as escalation
from issues.escalation.services import run_escalations
from issues.models import AuditEvent, EscalationRule, Sanction, SanctionStatus

D = dt.date


@pytest.fixture
def escalated(city):
    """Two findings of 东门社区 missed four times: two circulars, two interviews, two referrals."""
    city.dongmen_sq.party_leader_name, city.dongmen_sq.party_leader_post = "何静", "社区党委书记"
    city.dongmen_sq.admin_leader_name, city.dongmen_sq.admin_leader_post = "王强", "居委会主任"
    city.dongmen_sq.save()
    for i in range(2):
        city.assigned(description=f"问题{i}", issued_on=D(2026, 11, 2), deadline=D(2026, 11, 4))
    run_escalations(today=D(2026, 11, 18))
    return city


def text_of(docx_bytes: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(docx_bytes)).paragraphs)


def test_the_list_filters_by_unit_kind_status_and_date(client, escalated):
    client.force_login(escalated.leader)
    page = client.get("/sanctions/").content.decode()
    assert page.count("东门社区") >= 6 and "通报批评" in page and "约谈" in page and "移交纪委监委" in page
    only = client.get("/sanctions/", {"action": "interview"}).content.decode()
    assert "约谈" in only and "移交纪委监委</b>" not in only
    assert "没有问责措施" in client.get("/sanctions/", {"decided_from": "2026-12-01"}).content.decode()
    assert "没有问责措施" in client.get("/sanctions/", {"unit": escalated.xihu_sq.pk}).content.decode()


@pytest.mark.parametrize("persona, code", [("office", 200), ("leader", 200), ("supervisor", 200),
                                           ("dongmen_liaison", 403), ("chengguan_head", 403)])
def test_who_may_read_sanctions(client, escalated, persona, code):
    client.force_login(getattr(escalated, persona))
    sanction = Sanction.objects.first()
    assert client.get("/sanctions/").status_code == code
    assert client.get(f"/sanctions/{sanction.pk}/").status_code == code


def test_a_sanction_page_shows_its_evidence(client, escalated):
    circular = Sanction.objects.filter(rule__code="R1").first()
    client.force_login(escalated.supervisor)
    page = client.get(f"/sanctions/{circular.pk}/").content.decode()
    assert "第1次" in page and "第2次" in page and "2026-11-04" in page and "2026-11-09" in page
    assert circular.finding.display_number in page


def test_office_lifts_a_sanction_with_a_reason(client, escalated):
    circular = Sanction.objects.filter(rule__code="R1").first()
    client.force_login(escalated.office)
    response = client.post(f"/sanctions/{circular.pk}/lift/", {"reason": ""})
    assert response.status_code == 400 and "这个字段是必填项" in response.content.decode()
    client.post(f"/sanctions/{circular.pk}/lift/", {"reason": "经复核，问题系误报"})
    circular.refresh_from_db()
    assert circular.status == SanctionStatus.LIFTED and circular.lift_reason == "经复核，问题系误报"
    assert AuditEvent.objects.filter(action="sanction_lifted", object_id=str(circular.pk)).exists()
    response = client.post(f"/sanctions/{circular.pk}/lift/", {"reason": "再撤一次"})
    assert "已不在执行中" in response.content.decode()


def test_only_the_office_lifts(client, escalated):
    circular = Sanction.objects.filter(rule__code="R1").first()
    for persona in ("leader", "supervisor"):
        client.force_login(getattr(escalated, persona))
        assert client.post(f"/sanctions/{circular.pk}/lift/", {"reason": "x"}).status_code == 403
    circular.refresh_from_db()
    assert circular.status == SanctionStatus.IN_FORCE


def test_supervision_records_the_outcome_of_an_interview(client, escalated):
    interview = Sanction.objects.filter(rule__code="R2").first()
    circular = Sanction.objects.filter(rule__code="R1").first()
    client.force_login(escalated.supervisor)
    client.post(f"/sanctions/{interview.pk}/outcome/", {"outcome": "已于11月20日约谈，单位作出书面检查"})
    interview.refresh_from_db()
    assert interview.outcome.startswith("已于11月20日约谈")
    response = client.post(f"/sanctions/{circular.pk}/outcome/", {"outcome": "x"})
    assert "只有约谈和移交纪委监委" in response.content.decode()
    client.force_login(escalated.leader)
    assert client.post(f"/sanctions/{interview.pk}/outcome/", {"outcome": "x"}).status_code == 403


def test_lifting_a_title_revocation_restores_the_title(city):
    from issues.escalation.sanctions import lift_sanction

    city.dongmen_sq.is_civilized = True
    city.dongmen_sq.save()
    rule = EscalationRule.objects.get(code="R5")
    sanction = escalation.apply_sanction(rule=rule, unit=city.dongmen_sq, evidence_key="k", reason="连续三次后三位",
                                         decided_on=D(2026, 11, 30))
    city.dongmen_sq.refresh_from_db()
    assert not city.dongmen_sq.is_civilized
    lift_sanction(actor=city.office, sanction_id=sanction.pk, reason="排名数据有误，已更正")
    city.dongmen_sq.refresh_from_db()
    assert city.dongmen_sq.is_civilized and city.dongmen_sq.civilized_revoked_on is None


def test_the_circular_document_lists_the_units_and_reasons(client, escalated):
    circular = Sanction.objects.filter(rule__code="R1").order_by("pk").first()
    client.force_login(escalated.office)
    response = client.get(f"/sanctions/{circular.pk}/document.docx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    text = text_of(response.content)
    for part in ("市创建全国文明城市工作指挥部办公室", "创文办通〔2026〕1109号", "关于对创文问题整改不力单位的通报",
                 "各区县、市直各部门：", "东门社区", circular.finding.display_number, "2026年11月9日"):
        assert part in text, part


def test_one_circular_collects_the_night(client, escalated):
    client.force_login(escalated.office)
    text = text_of(client.get("/sanctions/circular.docx").content)
    assert text.count("东门社区：") == 2 and "以下1个单位" in text
    assert client.get("/sanctions/circular.docx", {"from": "2026-12-01", "to": "2026-12-31"}).status_code == 404


def test_the_interview_notice_is_addressed_to_the_principal_leaders(client, escalated):
    interview = Sanction.objects.filter(rule__code="R2").first()
    client.force_login(escalated.office)
    text = text_of(client.get(f"/sanctions/{interview.pk}/document.docx").content)
    assert "约谈通知书" in text and "何静（社区党委书记）、王强（居委会主任）同志：" in text
    assert f"创文办约〔2026〕{interview.pk}号" in text and "2026年11月12日" in text
    referral = Sanction.objects.filter(rule__code="R3").first()
    assert client.get(f"/sanctions/{referral.pk}/document.docx").status_code == 404


def test_libreoffice_opens_the_documents(client, escalated, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "make test installs libreoffice-writer-nogui"
    client.force_login(escalated.office)
    interview = Sanction.objects.filter(rule__code="R2").first()
    (tmp_path / "circular.docx").write_bytes(client.get("/sanctions/circular.docx").content)
    (tmp_path / "interview.docx").write_bytes(client.get(f"/sanctions/{interview.pk}/document.docx").content)
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(tmp_path / "circular.docx"), str(tmp_path / "interview.docx")],
                   check=True, capture_output=True, timeout=180)
    for name in ("circular.pdf", "interview.pdf"):
        pdf = (tmp_path / name).read_bytes()
        assert pdf.startswith(b"%PDF") and len(pdf) > 5000
