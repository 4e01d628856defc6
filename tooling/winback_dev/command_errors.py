"""The error a workbench command reports to the operator as `winback: <message>` (exit status 2)."""


class CommandError(ValueError):
    """The command cannot do what was asked: the message says why, in the operator's terms."""
