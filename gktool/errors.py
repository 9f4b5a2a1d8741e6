"""The one exception type gktool raises for bad input or misuse."""

EXIT_FINDINGS = 1  # the workbook was read and has errors
EXIT_INPUT = 2  # unreadable input, usage error, refused output


class GkError(Exception):
    """A problem a user must fix: carries a one-line Chinese message and an exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_INPUT):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
