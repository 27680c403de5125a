"""Provider code → adapter. Adapters are built per use from settings (credentials from the
environment); a provider without credentials raises NotConfigured, which pages show as
"not configured" instead of failing."""

from dataclasses import dataclass

from django.utils.module_loading import import_string

from providers.base import GatewayAdapter, NotConfigured, UpstreamAdapter

UPSTREAM_ADAPTERS = {
    "digiflazz": "providers.digiflazz.adapter.DigiflazzAdapter",
    "hubble": "providers.hubble.adapter.HubbleAdapter",
    "foxreload": "providers.foxreload.adapter.FoxReloadAdapter",
    "vipreseller": "providers.vipreseller.adapter.VipResellerAdapter",
}
GATEWAY_ADAPTERS = {
    "tripay": "providers.tripay.adapter.TripayAdapter",
    "sandbox": "providers.sandbox.adapter.SandboxGateway",
}


class UnknownProvider(KeyError):
    pass


def get_adapter(code: str) -> UpstreamAdapter:
    """The upstream adapter for `code`; NotConfigured when its credentials are missing."""
    if code not in UPSTREAM_ADAPTERS:
        raise UnknownProvider(code)
    return import_string(UPSTREAM_ADAPTERS[code]).from_settings()


def get_gateway(code: str) -> GatewayAdapter:
    if code not in GATEWAY_ADAPTERS:
        raise UnknownProvider(code)
    return import_string(GATEWAY_ADAPTERS[code]).from_settings()


@dataclass(frozen=True)
class ProviderState:
    code: str
    configured: bool
    message: str


def provider_states() -> list[ProviderState]:
    """Every known provider and gateway with whether it is configured (never raises)."""
    states = []
    for code, build in [
        *((code, get_adapter) for code in UPSTREAM_ADAPTERS),
        *((code, get_gateway) for code in GATEWAY_ADAPTERS),
    ]:
        try:
            build(code)
        except NotConfigured as exc:
            states.append(ProviderState(code, False, exc.message))
        else:
            states.append(ProviderState(code, True, "configured"))
    return states
