"""The site's URLs plus one view that fails, to see the 500 page people would get."""

from django.urls import path

from creation_tracker.urls import urlpatterns as site_urls


def boom(request):
    return 1 / 0


urlpatterns = [path("boom/", boom), *site_urls]
