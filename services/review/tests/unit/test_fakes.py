"""The fake repositories stand for the real ones: same methods, same parameters."""

from __future__ import annotations

import inspect

import pytest

from .fakes import REAL_REPOSITORIES, public_methods


def _parameters(function: object) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]  # type: ignore[arg-type]


@pytest.mark.parametrize(("real", "fake"), REAL_REPOSITORIES, ids=[real.__name__ for real, _ in REAL_REPOSITORIES])
def test_the_fake_implements_every_method_of_the_repository_it_stands_for(real: type, fake: type) -> None:
    methods = public_methods(real)
    assert methods <= public_methods(fake), f"{fake.__name__} lacks {sorted(methods - public_methods(fake))}"
    for name in methods:
        assert _parameters(getattr(fake, name)) == _parameters(getattr(real, name)), name
        assert inspect.iscoroutinefunction(getattr(fake, name)) == inspect.iscoroutinefunction(getattr(real, name))
