"""Log records as an operator wants them in the terminal."""

import logging


class RefusalsInOneLine(logging.Filter):
    """A refused (403), missing (404) or malformed (400) request is logged as its one line, without the
    traceback Django attaches: it is the user's mistake or a rule doing its job, not a fault to debug."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500 and record.exc_info:
            record.exc_info = None
            record.exc_text = None
        return True
