from django.urls import path

from ops import views

urlpatterns = [
    path("ops/dashboard/", views.dashboard, name="ops-dashboard"),
    path("ops/circuits/<str:code>/force", views.circuit_force, name="ops-circuit-force"),
    path("metrics", views.metrics, name="metrics"),
    path("ops/export/orders.csv", views.export_orders, name="ops-export-orders"),
    path("ops/export/ledger.csv", views.export_ledger, name="ops-export-ledger"),
    path("ops/deposits/<int:pk>/proof", views.deposit_proof, name="ops-deposit-proof"),
]
