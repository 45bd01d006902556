"""
Parse's error codes (C{Parse.Error}), by the names Parse gives them: the
one home of the codes the client reads and the embedded server answers.
"""

from __future__ import annotations

INTERNAL_SERVER_ERROR = 1
OBJECT_NOT_FOUND = 101
INVALID_QUERY = 102
INVALID_CLASS_NAME = 103
INVALID_KEY_NAME = 105
INVALID_JSON = 107
INCORRECT_TYPE = 111
OPERATION_FORBIDDEN = 119
