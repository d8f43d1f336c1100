"""Hardening of autograding: the bubblewrap sandbox, resource limits and tamper checks.

INTERFACE (being built): the grading pipeline merges ``grading_overrides(sandbox)`` into the
nbgrader config of every worker. It raises ``SandboxUnavailable`` when ``sandbox`` is true and
bubblewrap cannot be used, so that the grader refuses unless the instructor said --no-sandbox.
"""


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


def grading_overrides(sandbox=True):
    """Traitlets config overrides ``{"Section": {"trait": value}}`` for a hardened autograde."""
    return {}
