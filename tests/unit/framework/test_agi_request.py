"""AgiRequest.arg and args: the dialplan's arguments as hooks read them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from autocom.agi.protocol import EnvironmentParser
from autocom.agi.session import AgiSession
from autocom.feature import AgiRequest
from tests.unit.agi.samples import env_with


class _Writer:
    def write(self, data: bytes) -> None:
        raise AssertionError("reading arguments sends nothing")


def request_with(block: bytes) -> AgiRequest:
    env = EnvironmentParser().feed(block)
    assert env is not None
    session = AgiSession(cast(Any, object()), _Writer(), env)
    return AgiRequest(session, cast(Any, None), cast(Any, None), datetime.now(UTC))


def test_arguments_stripped_and_missing_ones_empty() -> None:
    request = request_with(env_with(arg_1=" 2001 ", arg_2="", arg_3="0612345670"))
    assert [request.arg(i) for i in range(5)] == ["2001", "", "0612345670", "", ""]
    assert request.args(5) == ("2001", "", "0612345670", "", "")
    assert request.args(2) == ("2001", "")


def test_no_arguments() -> None:
    block = b"agi_network: yes\nagi_network_script: rights\n\n"
    assert request_with(block).arg(0) == ""
    assert request_with(block).args(2) == ("", "")
