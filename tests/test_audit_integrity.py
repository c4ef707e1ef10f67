"""The audit log can be added to and read, never changed or deleted: not by the services, not in the
admin, and on PostgreSQL not even by raw SQL."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from issues.models import AuditEvent


def _one_event(city) -> AuditEvent:
    city.assigned()
    return AuditEvent.objects.order_by("pk").first()


def test_the_application_cannot_change_or_delete_an_audit_row(city):
    event = _one_event(city)
    count = AuditEvent.objects.count()
    event.message = "改写的记录"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(message="改写")
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(PermissionError), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["message"])
    fresh = AuditEvent.objects.get(pk=event.pk)
    assert fresh.message != "改写的记录" and AuditEvent.objects.count() == count


def test_the_admin_cannot_change_or_delete_an_audit_row_even_for_a_superuser(city, django_user_model):
    event = _one_event(city)
    before = AuditEvent.objects.values().get(pk=event.pk)
    root = django_user_model.objects.create_superuser("root", password="root-pass-2026")
    client = Client()
    client.force_login(root)
    assert client.post(f"/admin/issues/auditevent/{event.pk}/change/", {"message": "改写"}).status_code == 403
    assert client.post(f"/admin/issues/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    changelist = client.post("/admin/issues/auditevent/", {
        "action": "delete_selected", "_selected_action": [event.pk], "post": "yes"})
    assert changelist.status_code in (200, 302)  # no delete action is offered; nothing happens
    assert AuditEvent.objects.values().get(pk=event.pk) == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_on_postgresql_a_trigger_refuses_raw_update_and_delete(city):
    event = _one_event(city)
    before = AuditEvent.objects.values().get(pk=event.pk)
    for sql in ("UPDATE issues_auditevent SET message = 'forged' WHERE id = %s",
                "DELETE FROM issues_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="操作日志只能追加"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [event.pk])
    assert AuditEvent.objects.values().get(pk=event.pk) == before
    with connection.cursor() as cur:  # appending still works
        cur.execute("INSERT INTO issues_auditevent (at, action, object_type, object_id, from_state, to_state, "
                    "message, data) VALUES (now(), 'note', 'finding', '1', '', '', 'appended', '{}')")
    assert AuditEvent.objects.filter(message="appended").exists()
