from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from psaportal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("psaportal.accounts.urls")),
    path("jobs/", include("psaportal.jobs.urls")),
    path("connection/", include("psaportal.connections.urls")),
    path("records/", include("psaportal.records.urls")),
    path("actions/", include("psaportal.actions.urls")),
    path("api-console/", include("psaportal.actions.api_console_urls")),
    path("reports/", include("psaportal.reports.urls")),
    path("django-admin/", admin.site.urls),
]

handler400 = "psaportal.views.bad_request"
handler403 = "psaportal.views.permission_denied"
handler404 = "psaportal.views.page_not_found"
handler500 = "psaportal.views.server_error"
