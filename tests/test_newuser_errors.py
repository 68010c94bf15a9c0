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
