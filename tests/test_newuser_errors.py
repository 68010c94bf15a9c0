"""Typical slips of a new user get one clear line and exit 2 (found by trying r2k as a newcomer)."""

from tests.util import invoke, one_line_error


def test_misspelt_event_kind_names_the_argument_plainly(tmp_path):
    res = invoke("events", "fed-cut", "--offline", env={"R2K_HOME": str(tmp_path)})
    msg = one_line_error(res, 2)
    assert "'KIND'" in msg and "'fed-cut' is not one of 'fed-cuts', 'fed-hikes', 'recessions'" in msg
    assert "[[" not in msg  # was: Invalid value for '[[fed-cuts|fed-hikes|recessions]]'


def test_runs_of_a_missing_folder_is_an_error_not_an_empty_listing(tmp_path):
    res = invoke("runs", tmp_path / "typo")
    msg = one_line_error(res, 2)  # was: "no run folders under ..." and exit 0
    assert "typo" in msg and "does not exist" in msg
    assert not (tmp_path / "typo").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    res = invoke("runs", empty)
    assert res.exit_code == 0 and res.stdout.strip() == f"no run folders under {empty}"


def test_spread_basis_reads_as_english():
    """The events summary's basis column said "difference of total return returns" for IWM-SPY."""
    from r2k.reports.event_study import basis

    assert basis("IWM", "SPY") == "difference of total returns"
    assert basis("^RUT", "^GSPC") == "difference of price returns"
    assert basis("IWM", "^GSPC") == "total return minus price"


def test_symbol_flag_and_symbol_parameter_that_disagree_are_refused(tmp_path):
    """`r2k run buy-and-hold -p symbol=IWM --symbol SPY` silently ran IWM; now one line, exit 2."""
    from r2k.data.errors import UsageError
    from r2k.runner.build import merge_layers

    res = invoke("run", "buy-and-hold", "-p", "symbol=IWM", "--symbol", "SPY", "--offline", "--no-tearsheet",
                 env={"R2K_HOME": str(tmp_path)})
    msg = one_line_error(res, 2)
    assert "--symbol SPY" in msg and "symbol=IWM" in msg
    assert not (tmp_path / "runs").exists()
    # the same symbol spelt two ways is one symbol; a higher layer still overrides a lower one
    assert merge_layers([{"symbol": "RUT", "params": {"symbol": "^RUT"}}])["params"]["symbol"] == "^RUT"
    assert merge_layers([{"symbol": "IWM"}, {"params": {"symbol": "SPY"}}])["params"]["symbol"] == "SPY"
    try:
        merge_layers([{"symbol": "SPY", "params": {"symbol": "IWM"}}])
    except UsageError as exc:
        assert "disagree" in str(exc)
    else:
        raise AssertionError("a layer whose symbol and params.symbol differ was accepted")
