"""Guest order link tokens out of the stored provider calls and simulator state.

Before, the gateway's return address was the guest's order page with its link token
(`/orders/<code>/?t=<token>`), so the token sat in ProviderCall bodies, which support staff
read in the admin. The calls get the token redacted; the simulators' stored return address
becomes the token-free return page (`/orders/<code>/return/`), which still works for them.
"""

import re

from django.db import migrations

LINK_TOKEN = re.compile(r"(?<=[?&]t=)[^&#\s\"']+")
ORDER_PAGE_WITH_TOKEN = re.compile(r"/orders/([^/?#]+)/\?t=[^&#\s\"']+$")
BATCH = 500


def forget_guest_link_tokens(apps, schema_editor):
    ProviderCall = apps.get_model("providers", "ProviderCall")
    SimulatedOrder = apps.get_model("providers", "SimulatedOrder")
    calls = ProviderCall.objects.filter(request_body__contains="t=") | ProviderCall.objects.filter(
        response_body__contains="t="
    )
    for call in calls.only("pk", "request_body", "response_body", "url").iterator(BATCH):
        call.request_body = LINK_TOKEN.sub("[redacted]", call.request_body)
        call.response_body = LINK_TOKEN.sub("[redacted]", call.response_body)
        call.url = LINK_TOKEN.sub("[redacted]", call.url)
        call.save(update_fields=["request_body", "response_body", "url"])
    for sim in SimulatedOrder.objects.filter(request__return_url__icontains="?t=").iterator(BATCH):
        sim.request["return_url"] = ORDER_PAGE_WITH_TOKEN.sub(
            r"/orders/\1/return/", sim.request["return_url"]
        )
        sim.request["return_url"] = LINK_TOKEN.sub("[redacted]", sim.request["return_url"])
        sim.save(update_fields=["request"])


class Migration(migrations.Migration):
    dependencies = [("providers", "0001_provider_calls_and_simulator_state")]

    operations = [migrations.RunPython(forget_guest_link_tokens, migrations.RunPython.noop)]
