"""The AGI route: facts in (the caller), the decision applied (one SET VARIABLE)."""

from __future__ import annotations

from autocom.feature import AgiRequest
from autocom_hello.rules import HelloRules


async def hello(request: AgiRequest) -> None:
    """AGI(${AUTOCOM_AGI}/hello,${CALLERID(num)}): sets AUTOCOM_HELLO."""
    rules: HelloRules = request.config.rules["hello"]
    await request.session.set_variable("AUTOCOM_HELLO", rules.greeting_for(request.arg(0)))
