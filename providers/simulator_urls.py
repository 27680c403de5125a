"""Every simulator, mounted under /sim/<code>/ only when SIMULATORS_ENABLED is on."""

from django.urls import include, path

urlpatterns = [
    path("digiflazz/", include("providers.digiflazz.simulator")),
    path("hubble/", include("providers.hubble.simulator")),
    path("foxreload/", include("providers.foxreload.simulator")),
    path("vipreseller/", include("providers.vipreseller.simulator")),
    path("tripay/", include("providers.tripay.simulator")),
    path("sandbox/", include("providers.sandbox.simulator")),
    path("shan/", include("providers.shan.views")),
]
