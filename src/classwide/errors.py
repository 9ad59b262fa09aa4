"""The errors classwide raises, and how each one reaches a user.

::

    ClasswideError
     +-- RuleFileError            a rule file is malformed or contradicts its own examples
     +-- UnknownRuleError         a rule, jurisdiction or reading id that no rule file defines
     +-- InputError               data that cannot be turned into a structure
          +-- ParseError          a SMILES, InChI or MOL block that RDKit cannot read
          |    +-- LimitExceeded  a structure over a size limit (``limit`` names it)
          +-- UnsupportedFormatError  an input file whose format is not known

User errors (everything above) are shown without a traceback. In batch mode an
``InputError`` never escapes: it becomes the ``error`` of that record.
``EXIT_CODES`` and ``HTTP_STATUS`` are the one table from error to exit status and
HTTP status.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_STRICT_FAILED = 1
EXIT_USAGE = 2


class ClasswideError(Exception):
    """Base class of every error classwide raises on purpose."""


class RuleFileError(ClasswideError):
    """A rule file is malformed: the message names the file and the field."""

    def __init__(self, path: str, field: str, problem: str) -> None:
        self.path, self.field, self.problem = path, field, problem
        super().__init__(f"{path}: {field}: {problem}")


class UnknownRuleError(ClasswideError):
    """A rule, jurisdiction or reading was asked for that no rule file defines."""


class InputError(ClasswideError):
    """Input data that cannot be turned into a structure."""


class ParseError(InputError):
    """A SMILES, InChI or MOL block that cannot be read, with RDKit's reason."""


class LimitExceeded(ParseError):
    """A structure over one of the configured limits; ``limit`` is its name."""

    def __init__(self, message: str, limit: str) -> None:
        super().__init__(message)
        self.limit = limit


class UnsupportedFormatError(InputError):
    """An input file whose format cannot be told from its name or options."""


EXIT_CODES: dict[type[ClasswideError], int] = {
    RuleFileError: EXIT_USAGE,
    UnknownRuleError: EXIT_USAGE,
    InputError: EXIT_USAGE,
    ParseError: EXIT_USAGE,
    UnsupportedFormatError: EXIT_USAGE,
}

HTTP_STATUS: dict[type[ClasswideError], int] = {
    ClasswideError: 400,
    UnknownRuleError: 404,
    InputError: 422,
    ParseError: 422,
    UnsupportedFormatError: 415,
}


def exit_code_for(error: ClasswideError) -> int:
    """Return the CLI exit status for an error (the most specific class wins)."""
    for cls in type(error).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return EXIT_USAGE
