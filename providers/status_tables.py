"""Every answer each upstream provider can give about an order, read through the provider's
own mapping (its status table and the adapter function that applies it), and whether the
shop may fail over on it.

Failover (orders.services.attempts) happens only on a FINAL failure: ProviderStatus.FAILED
that does not revoke a delivery. Everything else (success, pending, unknown, a "never got
it" lookup, a revocation) never fails over. The rows are built by calling each adapter's
mapping on each of its table's keys, so this list cannot drift from what the adapters do:
the failover tables (the full one in docs/pipeline.md, a summary in the README) are
generated from it (`manage.py failover_table --write`) and the failover tests are driven by
it (tests/pipeline/test_failover.py).
"""

import re
from dataclasses import dataclass

from providers.base import ProviderResult, ProviderStatus
from providers.digiflazz import rc as digiflazz_rc
from providers.digiflazz.adapter import result_from_transaction as digiflazz_result
from providers.foxreload import adapter as foxreload
from providers.hubble import adapter as hubble
from providers.hubble import errors as hubble_errors
from providers.vipreseller import status as vip_status
from providers.vipreseller.adapter import result_from_transaction as vip_result


@dataclass(frozen=True)
class AnswerRow:
    """One answer of one provider, as its adapter reads it."""

    provider: str
    answer: str  # the provider's own word: an rc, a status, an error id
    meaning: str
    result: ProviderResult  # what the adapter makes of it

    @property
    def status(self) -> ProviderStatus:
        return self.result.status

    @property
    def fails_over(self) -> bool:
        """A final failure that delivered nothing: the only answer that may fail over."""
        return self.status == ProviderStatus.FAILED and not self.result.revokes_delivery


def _digiflazz() -> list[AnswerRow]:
    """Every rc of Digiflazz's table, as a /transaction reply or callback carries it."""
    rows = []
    for rc, rule in digiflazz_rc.RC_TABLE.items():
        if rc == digiflazz_rc.PRICE_LIST_RATE_LIMITED:
            continue  # answers /price-list only, never an order
        data = {"ref_id": "REF", "rc": rc, "status": "", "message": rule.meaning}
        if rule.status == ProviderStatus.SUCCESS:
            data["sn"] = "SN-1"
        rows.append(AnswerRow("digiflazz", f"rc {rc}", rule.meaning, digiflazz_result(data)))
    return rows


def _hubble_order(status: str, *, vouchers: bool = False) -> ProviderResult:
    body = {"id": "H-1", "status": status, "failureReason": status}
    if vouchers:
        body["vouchers"] = [{"id": "V-1", "cardNumber": "C-1", "cardPin": "P-1"}]
    return hubble.order_result(body)


def _hubble() -> list[AnswerRow]:
    """Hubble's order statuses (with and without delivered vouchers where it matters) and
    the documented error ids of a refused placement."""
    rows = [
        AnswerRow("hubble", "SUCCESS", "delivered", _hubble_order("SUCCESS", vouchers=True)),
        AnswerRow(
            "hubble",
            "SUCCESS (no vouchers yet)",
            "charged, codes to come",
            _hubble_order("SUCCESS"),
        ),
        AnswerRow("hubble", "PROCESSING", "being processed", _hubble_order("PROCESSING")),
    ]
    for status in sorted(hubble.FAILED_STATUSES):
        rows.append(AnswerRow("hubble", status, "called off", _hubble_order(status)))
        if status in hubble.REVOKING_STATUSES:
            rows.append(
                AnswerRow(
                    "hubble",
                    f"{status} (after delivering)",
                    "delivery taken back",
                    _hubble_order(status, vouchers=True),
                )
            )
    for error_id, meaning in hubble_errors.ERROR_MESSAGES.items():
        error = hubble_errors.HubbleError(http_status=400, id=error_id, message=meaning)
        status = hubble_errors.place_order_status(error)
        rows.append(
            AnswerRow(
                "hubble",
                error_id,
                f"placement refused: {meaning}",
                ProviderResult(status, message=error.describe(), rc=error_id),
            )
        )
    server_error = hubble_errors.HubbleError(http_status=503)
    rows.append(
        AnswerRow(
            "hubble",
            "HTTP 5xx",
            "placement: server error, the order may exist",
            ProviderResult(hubble_errors.place_order_status(server_error), rc="503"),
        )
    )
    return rows


def _foxreload() -> list[AnswerRow]:
    """FoxReload's order statuses (cancelled with and without `payment_failure`)."""
    rows = [
        AnswerRow("foxreload", status, "accepted, not finished", _fox({"status": status}))
        for status in sorted(foxreload.PENDING_STATUSES)
    ]
    rows += [
        AnswerRow("foxreload", "completed", "delivered", _fox({"status": "completed"})),
        AnswerRow(
            "foxreload", "cancelled", "cancelled", _fox({"status": "cancelled", "cancelReason": ""})
        ),
        AnswerRow(
            "foxreload",
            "cancelled (payment_failure)",
            "our balance there ran out",
            _fox({"status": "cancelled", "cancelReason": "payment_failure"}),
        ),
        AnswerRow("foxreload", "failed", "failed", _fox({"status": "failed"})),
        AnswerRow("foxreload", "(any other status)", "not documented", _fox({"status": "odd"})),
    ]
    return rows


def _fox(body: dict) -> ProviderResult:
    return foxreload.order_result({"id": "F-1", **body})


def _vipreseller() -> list[AnswerRow]:
    """VIP Reseller's transaction statuses, and a status outside its table."""
    rows = [
        AnswerRow(
            "vipreseller",
            status,
            rule.meaning,
            vip_result({"trxid": "T-1", "status": status, "note": "note"}),
        )
        for status, rule in vip_status.STATUS_TABLE.items()
    ]
    rows.append(
        AnswerRow(
            "vipreseller",
            "(any other status)",
            "not documented",
            vip_result({"trxid": "T-1", "status": "odd"}),
        )
    )
    return rows


def provider_answer_rows() -> dict[str, list[AnswerRow]]:
    """provider code → every answer it can give about an order, as its adapter reads it."""
    return {
        "digiflazz": _digiflazz(),
        "hubble": _hubble(),
        "foxreload": _foxreload(),
        "vipreseller": _vipreseller(),
    }


_NUMBERED = re.compile(r"^(rc |E)(\d+)(.*)$")


def _compact(answers: list[str]) -> str:
    """Answers joined, runs of consecutive codes written as ranges ("rc 40-45", "E150-E160
    (placement refused)")."""
    out: list[str] = []
    run: list[tuple[str, str, str]] = []

    def flush() -> None:
        if not run:
            return
        prefix, first, rest = run[0]
        last = run[-1][1]
        span = first if first == last else f"{first}-{last if prefix == 'rc ' else 'E' + last}"
        out.append(f"{prefix}{span}{rest}")
        run.clear()

    for answer in answers:
        match = _NUMBERED.match(answer)
        if match is None:
            flush()
            out.append(answer)
            continue
        prefix, number, rest = match.groups()
        if (
            run
            and (run[-1][0], run[-1][2]) == (prefix, rest)
            and int(number) == int(run[-1][1]) + 1
        ):
            run.append((prefix, number, rest))
            continue
        flush()
        run.append((prefix, number, rest))
    flush()
    return ", ".join(out).replace(", rc ", ", ")


def failover_summary_markdown() -> str:
    """The README's summary: per provider, the answers that fail over and those that never
    do, consecutive codes as ranges (generated: `manage.py failover_table --write`)."""
    lines = ["| Provider | Fails over | Never fails over |", "|---|---|---|"]
    for provider, rows in provider_answer_rows().items():
        final = _compact([row.answer for row in rows if row.fails_over])
        never = _compact([row.answer for row in rows if not row.fails_over])
        lines.append(f"| {provider} | {final} | {never} |")
    return "\n".join(lines) + "\n"


def failover_table_markdown() -> str:
    """The full failover table (docs/pipeline.md): per provider, every answer, what it reads
    as and whether it fails over (generated: `manage.py failover_table --write`)."""
    lines = []
    for provider, rows in provider_answer_rows().items():
        lines += [
            f"**{provider}**",
            "",
            "| Answer | Meaning | Reads as | Fails over |",
            "|---|---|---|---|",
        ]
        for row in rows:
            status = row.status.value + (" (revokes)" if row.result.revokes_delivery else "")
            verdict = "yes" if row.fails_over else "never"
            lines.append(f"| {row.answer} | {row.meaning} | {status} | {verdict} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
