"""Simplified Chinese for everyone unless they chose another language.

Django's LocaleMiddleware follows the browser's Accept-Language, so an office desktop with an
English browser would get English. The ledger speaks Chinese by default; English is a choice a
user makes with the language switch, which sets the language cookie.
"""

from django.conf import settings
from django.utils import translation


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
