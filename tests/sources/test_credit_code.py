from __future__ import annotations

import pytest

from ecogrid.core.errors import InvalidInput
from ecogrid.sources import credit_code


def test_a_published_real_code_validates():
    # 91350100M000100Y43 is the example code printed in GB 32100-2015.
    assert credit_code.validate("91350100M000100Y43") == "91350100M000100Y43"


def test_lower_case_and_spaces_are_normalised():
    assert credit_code.validate(" 91350100m000100y43 ") == "91350100M000100Y43"


@pytest.mark.parametrize(("code", "why"), [
    ("91350100M000100Y44", "check character"),
    ("91350100M000100Y4", "18 characters"),
    ("91350100M0001I0Y43", "not allowed: I"),
    ("", "18 characters"),
])
def test_bad_codes_are_refused_with_the_reason(code, why):
    with pytest.raises(InvalidInput, match=why) as exc:
        credit_code.validate(code)
    assert exc.value.field == "credit_code"


def test_made_codes_validate():
    code = credit_code.make(org8="MA3C4R7D")
    assert credit_code.validate(code) == code
