"""Red-team regressions for `allocator incentives`: rules with an empty inline people list are refused
in one line naming the rules file (as a people table without rows is), instead of every attainment row
being refused against "the rules' people ()"."""

from __future__ import annotations

from tests.support.helpers import invoke

RULES = """currency: CNY
bonus:
  tiers:
    - {id: bonus_100, at: 1.0, pay_share: 0.10}
people: []
"""
ATTAINMENT = "person,month,target,actual,sales,new_customers\nana,2027-01,1000000,1200000,1200000,3\n"


def test_rules_with_no_people_are_refused_in_the_rules_file(tmp_path):
    rules, attainment, out = tmp_path / "rules.yaml", tmp_path / "attainment.csv", tmp_path / "pay"
    rules.write_text(RULES)
    attainment.write_text(ATTAINMENT)
    result = invoke("incentives", "--rules", rules, "--attainment", attainment, "--out", out)
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    assert "rules.yaml: people: got none; expected at least one payee" in result.output
    assert not out.exists()
