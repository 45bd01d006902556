"""
Errors a user causes end in one line: what they quote of the user's input
must not break it.
"""

from __future__ import annotations


def one_line(text: str) -> str:
    """
    C{text} with every character that is not printable (a newline, a
    control, a lone surrogate from undecodable bytes) written as its escape.
    """
    return "".join(
        character if character.isprintable() else ascii(character)[1:-1]
        for character in text
    )
