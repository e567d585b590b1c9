"""Shared pytest wiring: each fixture family lives in its own module under tests/fixtures/."""

pytest_plugins: list[str] = [
    "tests.fixtures.pulumi",
    "tests.fixtures.emulator",
    "tests.fixtures.stack",
]
