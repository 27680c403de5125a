"""Where each provider lives and with what credentials, read from settings at call time."""

from django.conf import settings

from providers.base import NotConfigured


def provider_base_url(*, code: str, configured: str, production: str, simulator_path: str) -> str:
    """The configured base URL; else the local simulator when simulators are on; else the
    provider's production URL."""
    if configured:
        return configured.rstrip("/")
    if settings.SIMULATORS_ENABLED:
        return f"{settings.SITE_URL.rstrip('/')}/sim/{code}{simulator_path}"
    return production


def require_settings(code: str, *names: str) -> dict[str, str]:
    """The values of `names`; NotConfigured naming every missing one."""
    values = {name: getattr(settings, name, "") for name in names}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise NotConfigured(
            f"{code} is not configured: set {', '.join(missing)} in the environment.",
            code="not_configured",
        )
    return values
