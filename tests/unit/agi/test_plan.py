"""set_variables (autocom/agi/plan.py): plain variables in one command, others one each.

That Asterisk's ARRAY() sets both variables of the one command is checked on the
real Asterisk 22 (tests/e2e/test_time_rules.py, the rights hook).
"""

from __future__ import annotations

import pytest

from autocom.agi.plan import AgiCommand, set_variable, set_variables
from autocom.agi.protocol import format_command


def test_plain_variables_are_one_command() -> None:
    plan = set_variables(("AUTOCOM_RIGHTS", "allow"), ("AUTOCOM_RIGHTS_CATEGORY", "mobile"))
    assert plan == (
        AgiCommand(
            "SET VARIABLE", ("ARRAY(AUTOCOM_RIGHTS,AUTOCOM_RIGHTS_CATEGORY)", "allow,mobile")
        ),
    )
    (command,) = plan
    assert format_command(command.verb, *command.args) == (
        b'SET VARIABLE "ARRAY(AUTOCOM_RIGHTS,AUTOCOM_RIGHTS_CATEGORY)" "allow,mobile"\n'
    )


def test_an_empty_value_keeps_its_place() -> None:
    (command,) = set_variables(("A", ""), ("B", "x"), ("C", ""))
    assert command.args == ("ARRAY(A,B,C)", ",x,")


def test_a_single_variable_is_a_plain_set_variable() -> None:
    assert set_variables(("AUTOCOM_PIN", "ok")) == (set_variable("AUTOCOM_PIN", "ok"),)


@pytest.mark.parametrize(
    "value",
    ["a,b", 'say "hi"', "back\\slash", "(x)", "[x]", "a|b", "two words", "Zoé", " lead"],
)
def test_a_value_array_would_split_or_unquote_gets_its_own_command(value: str) -> None:
    pairs = (("AUTOCOM_X", "plain"), ("AUTOCOM_Y", value))
    assert set_variables(*pairs) == (
        set_variable("AUTOCOM_X", "plain"),
        set_variable("AUTOCOM_Y", value),
    )


@pytest.mark.parametrize("name", ["CALLERID(name)", "DEVICE_STATE(Custom:x)", "1ST", "A-B"])
def test_a_function_or_odd_name_gets_its_own_command(name: str) -> None:
    assert set_variables((name, "x"), ("AUTOCOM_Y", "y")) == (
        set_variable(name, "x"),
        set_variable("AUTOCOM_Y", "y"),
    )


def test_the_same_variables_give_the_very_same_plan() -> None:
    """Made once per combination (the rights hook asks on every call)."""
    first = set_variables(("A", "allow"), ("B", "mobile"))
    again = set_variables(("A", "all" + "ow"), ("B", "mob" + "ile"))
    assert again is first
