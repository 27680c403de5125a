"""The messaging simulators, mounted under /sim/ with the providers' (SIMULATORS_ENABLED)."""

from django.urls import path

from shop.messaging import telegram_simulator, whatsapp_simulator

urlpatterns = [
    path(
        "whatsapp/<str:version>/<str:phone_number_id>/messages",
        whatsapp_simulator.messages,
        name="sim-whatsapp-messages",
    ),
    path("telegram/bot<str:token>/sendMessage", telegram_simulator.send_message),
]
