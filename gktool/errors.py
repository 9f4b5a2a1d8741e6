"""The one exception type gktool raises for bad input or misuse."""

EXIT_FINDINGS = 1  # the workbook was read and has errors
EXIT_INPUT = 2  # unreadable input, usage error, refused output
EXIT_INCOMPLETE = 3  # read only in part (gktool could not read some numbers that are printed), no errors found

# a batch's exit code is its worst file's: unreadable, then errors, then read in part, then clean
_RANK = {0: 0, EXIT_INCOMPLETE: 1, EXIT_FINDINGS: 2, EXIT_INPUT: 3}


def worse(a: int, b: int) -> int:
    """The exit code of two outcomes together (the more serious one)."""
    return a if _RANK.get(a, 3) >= _RANK.get(b, 3) else b


class GkError(Exception):
    """A problem a user must fix: carries a one-line Chinese message and an exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_INPUT):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
