from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from shop import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

if settings.SIMULATORS_ENABLED:
    urlpatterns += [path("sim/", include("providers.simulator_urls"))]
