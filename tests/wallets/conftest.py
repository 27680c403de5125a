import pytest


@pytest.fixture(autouse=True, params=["one statement", "orm"])
def ledger_writer(request, monkeypatch):
    """Every ledger test runs with both ways of writing a transfer (wallets.recording): the
    single PostgreSQL statement, and the ORM statements that SQLite (`make run`) uses."""
    if request.param == "orm":
        monkeypatch.setattr("wallets.recording.writes_in_one_statement", lambda: False)
    return request.param
