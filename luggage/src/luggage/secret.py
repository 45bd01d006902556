"""
A value that must never be shown: not in logs, not in reprs, not in
tracebacks.
"""

from __future__ import annotations

from attrs import field, frozen


@frozen
class Secret:
    """
    A secret string (an API key, a password).

    Its C{repr} and C{str} are redacted, so a secret handed around inside
    configuration objects can't leak through logging or an error message.
    Read the value explicitly with L{Secret.reveal} where it is sent.
    """

    _value: str = field(repr=False, alias="value")

    def reveal(self) -> str:
        """
        The secret itself; call this only where it leaves the process.
        """
        return self._value

    def __str__(self) -> str:
        return "<redacted>"
