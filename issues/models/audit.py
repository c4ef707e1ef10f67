"""The append-only audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues.models.findings import Finding


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("操作日志只能追加，不能修改。")

    def delete(self):
        raise PermissionError("操作日志只能追加，不能删除。")


class AuditEvent(models.Model):
    """Who did what, when, from which state to which. Append-only."""

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("操作"), max_length=40)
    object_type = models.CharField(_("对象类型"), max_length=40)
    object_id = models.CharField(_("对象编号"), max_length=40)
    finding = models.ForeignKey(
        Finding,
        verbose_name=_("问题"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    from_state = models.CharField(_("原状态"), max_length=20, blank=True)
    to_state = models.CharField(_("新状态"), max_length=20, blank=True)
    message = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("操作日志")
        verbose_name_plural = _("操作日志")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        # Integrity guard, not business logic: an existing row is never rewritten.
        if self.pk is not None and not kwargs.get("force_insert"):
            raise PermissionError("操作日志只能追加，不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("操作日志只能追加，不能删除。")

    @classmethod
    def record(
        cls,
        *,
        actor,
        obj: models.Model,
        action: str,
        before: str = "",
        after: str = "",
        message: str = "",
        data: dict | None = None,
        at=None,
    ) -> AuditEvent:
        finding_id = obj.pk if isinstance(obj, Finding) else getattr(obj, "finding_id", None)
        return cls.objects.create(
            at=at or timezone.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            action=action,
            object_type=obj._meta.model_name,
            object_id=str(obj.pk),
            finding_id=finding_id,
            from_state=before,
            to_state=after,
            message=message,
            data=data or {},
        )


__all__ = ["AuditEventQuerySet", "AuditEvent"]
