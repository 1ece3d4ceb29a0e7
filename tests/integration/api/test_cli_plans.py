"""`regiekaart map plans` and `map overdue` on the real facts."""

from __future__ import annotations

from tests.integration.api.test_cli_scopes import data_dir, run

__all__ = ["data_dir"]  # the data directory with the real facts, shared with the scope tests


def test_map_overdue_lists_the_waiting_youths_action_on_new_year_2022_only(data_dir) -> None:
    code, output = run(data_dir, "map", "overdue", "gooi-en-vechtstreek", "--as-of", "2022-01-01")
    assert code == 0, output
    assert "gv-zicht-wachtende-jeugdigen" in output
    code, output = run(data_dir, "map", "overdue", "gooi-en-vechtstreek", "--as-of", "2021-11-30")
    assert code == 0, output
    assert "gv-zicht-wachtende-jeugdigen" not in output


def test_map_plans_shows_the_nw4_milestones_with_their_parties(data_dir) -> None:
    code, output = run(data_dir, "map", "plans", "ijmond", "--as-of", "2021-11-01", "--json")
    assert code == 0, output
    assert "nw4-tarief-2022" in output
    assert "jeugdautoriteit" in output
