from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from catalog import views as catalog_views
from shop import views
from shop.messaging.whatsapp_webhook import whatsapp_webhook

urlpatterns = [
    path("", catalog_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("", include("webhooks.urls")),
    path("api/webhooks/whatsapp", whatsapp_webhook, name="webhook-whatsapp"),
    path("", include("orders.urls")),
    path("", include("resellers.urls")),
    path("", include("ops.urls")),
    path("search/", catalog_views.search, name="search"),
    path("", include("accounts.urls")),
    path("accounts/", include("accounts.auth_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: the CSP allows no inline script.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
]

if settings.SIMULATORS_ENABLED:
    urlpatterns += [
        path("sim/", include("providers.simulator_urls")),
        path("sim/", include("shop.messaging.simulator_urls")),
    ]

# Under /api/ Django's own refusals answer in the API's JSON shape (shop/api_errors.py).
handler400 = "shop.api_errors.bad_request"
handler403 = "shop.api_errors.permission_denied"
handler404 = "shop.api_errors.page_not_found"
handler500 = "shop.api_errors.server_error"
