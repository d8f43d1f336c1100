"""Mutant suites: plausible wrong and unusual-but-right implementations of graded functions.

One module per assignment, named after it (``m01_derivatives.py``), defining::

    ASSIGNMENT = "01_derivatives"
    WRONG = [Wrong("ssr_slope", "missing factor 2", '''def ssr_slope(a, x, y): ...'''), ...]
    RIGHT = [Right("ssr_slope", "loop instead of numpy", '''def ssr_slope(a, x, y): ...'''), ...]

The first field is the function name. By the course's convention it is also the grade_id of
the solution cell that defines it, and its test cell is ``test_<name>``. The code replaces that
whole solution cell, so it must define the function completely (imports included if it needs
more than the notebook's setup cell gives).

tests/test_mutants.py grades every entry with the real nbgrader autograde: a Wrong entry must
score below full marks on its own test cell, a Right entry full marks on every cell. The
instructor's demo (``python -m course demo``) draws its typical mistakes from WRONG.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Wrong:
    function: str
    label: str
    code: str


@dataclass(frozen=True)
class Right:
    function: str
    label: str
    code: str
