from django.contrib.auth import views as auth_views
from django.urls import path

from .views import api, health, home, ledger, sanctions, work

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("dashboard/", home.dashboard, name="dashboard"),
    path("findings/", ledger.ledger, name="ledger"),
    path("findings/new/", ledger.finding_create, name="finding_create"),
    path("findings/batch-assign/", ledger.batch_assign, name="batch_assign"),
    path("findings/<int:pk>/", ledger.finding_detail, name="finding_detail"),
    path("findings/<int:pk>/assign/", ledger.finding_assign, name="finding_assign"),
    path("findings/<int:pk>/deadline/", ledger.finding_deadline, name="finding_deadline"),
    path("findings/<int:pk>/submit/", ledger.finding_submit, name="finding_submit"),
    path("findings/<int:pk>/transfer/", ledger.finding_transfer, name="finding_transfer"),
    path("findings/<int:pk>/void/", ledger.finding_void, name="finding_void"),
    path("submissions/<int:pk>/approve/", ledger.submission_approve, name="submission_approve"),
    path("submissions/<int:pk>/reject/", ledger.submission_reject, name="submission_reject"),
    path("transfers/<int:pk>/decide/", ledger.transfer_decide, name="transfer_decide"),
    path("photos/<int:pk>/<str:size>/", ledger.photo, name="photo"),
    path("inbox/", work.inbox, name="inbox"),
    path("review/", work.review_queue, name="review"),
    path("api/sites/", api.sites, name="api_sites"),
    path("api/items/", api.items, name="api_items"),
    path("api/defaults/", api.defaults, name="api_defaults"),
    path("sanctions/", sanctions.sanction_list, name="sanctions"),
    path("sanctions/circular.docx", sanctions.circular_collection, name="circular_collection"),
    path("sanctions/<int:pk>/", sanctions.sanction_detail, name="sanction_detail"),
    path("sanctions/<int:pk>/lift/", sanctions.sanction_lift, name="sanction_lift"),
    path("sanctions/<int:pk>/outcome/", sanctions.sanction_outcome, name="sanction_outcome"),
    path("sanctions/<int:pk>/document.docx", sanctions.sanction_document, name="sanction_document"),
]
