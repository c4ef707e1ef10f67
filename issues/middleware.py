"""Simplified Chinese for everyone unless they chose another language.

Django's LocaleMiddleware follows the browser's Accept-Language, so an office desktop with an
English browser would get English. The ledger speaks Chinese by default; English is a choice a
user makes with the language switch, which sets the language cookie.
"""

from django.conf import settings
from django.utils import translation

from issues.views.errors import request_too_large


class ChosenLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class RequestSizeLimitMiddleware:
    """Refuse a request body larger than REQUEST_MAX_BYTES before anything reads it (413, in Chinese).

    Django caps form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but streams uploaded files to disk whatever
    their size; this caps the whole body, files included, from its Content-Length. What the public
    may post (a citizen's report) has its own, smaller cap, REPORT_MAX_BYTES.
    """

    public = ("/report/", "/open311/")  # what anyone may post: a citizen's report and its photos

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.REPORT_MAX_BYTES if request.path.startswith(self.public) else settings.REQUEST_MAX_BYTES
        if length > limit:
            return request_too_large(request, length, limit)
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Scripts, styles, images and connections only from this site; no framing, no plugins.

    Inline styles stay allowed: the charts library writes style attributes into its tooltips.
    Scripts are never inline (every page's script is a file under static/js/).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
