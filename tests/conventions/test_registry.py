"""The rule catalog: one family module per family, one naming convention."""

from __future__ import annotations

import re

from pattern_review.conventions.registry import FAMILY_MODULES, all_rules, rule_by_id


def test_every_rule_class_is_named_for_what_it_asks_with_a_rule_suffix() -> None:
    names = [rule.__name__ for rule in all_rules()]
    assert names, "the catalog is empty"
    assert [name for name in names if not re.fullmatch(r"[A-Z]\w*Rule", name)] == []
    assert len(set(names)) == len(names)


def test_every_family_module_contributes_rules_with_unique_ids() -> None:
    families = {rule.__module__.rpartition(".")[2] for rule in all_rules()}
    assert families == set(FAMILY_MODULES)
    ids = [rule.ID for rule in all_rules()]
    assert ids == sorted(set(ids))


def test_a_rule_is_found_by_its_id_in_any_case() -> None:
    assert rule_by_id("svc001") is rule_by_id("SVC001")
    assert rule_by_id("SVC001") is not None
    assert rule_by_id("NOPE999") is None
