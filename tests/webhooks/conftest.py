"""Fixtures the callback tests borrow: the simulators over live_server, pricing and the
travelling clock of the pipeline tests, the staff groups, and the reseller's receiver."""

from tests.ops.conftest import staff_groups  # noqa: F401
from tests.pipeline.conftest import clock, pricing, sims  # noqa: F401
from tests.resellers.conftest import receiver  # noqa: F401
