from captcha import views as captcha_views
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = settings.SITE_TITLE
admin.site.site_title = settings.SITE_TITLE
admin.site.index_title = "配置与管理"

handler400 = "issues.views.errors.bad_request"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # the public form's captcha image (django-simple-captcha; no audio, no refresh)
    path("captcha/image/<slug:key>/", captcha_views.captcha_image, {"scale": 1}, name="captcha-image"),
    path("", include("issues.urls")),
]
# Photos are never served from a public media URL: issues.views.photos checks who may see them.
