"""Errors the services raise; views turn them into messages, never into a 500 page."""

from django.utils.translation import gettext as _


class LedgerError(Exception):
    """A request the ledger refuses, with a message for the user; `field` names the form field it
    belongs to, when it belongs to one."""

    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field

    def __str__(self) -> str:
        return self.message


class PhotoRejected(LedgerError):
    """An uploaded photo the ledger cannot keep (size, format, pixels, not an image)."""

    field = "photos"


class TransitionNotAllowed(LedgerError):
    """The finding's state does not allow this step."""

    def __init__(self, finding, to_state: str, action: str = ""):
        from issues.models import FindingStatus

        current = FindingStatus(finding.status).label
        target = FindingStatus(to_state).label
        detail = _("问题 %(number)s 当前状态为“%(current)s”，不能%(action)s（→“%(target)s”）。") % {
            "number": finding.display_number,
            "current": current,
            "action": action or _("执行此操作"),
            "target": target,
        }
        super().__init__(detail)
        self.finding_id = finding.pk
        self.from_state = finding.status
        self.to_state = to_state
