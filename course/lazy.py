"""Modules imported on first use.

A graded notebook runs only the cells that compute (``course.grading.lessons`` leaves out the
ones that only draw), so its kernel need not import pyplot or ipywidgets at all: pyplot alone
costs about 0.4 s of CPU per kernel, a third of what grading a notebook costs. ``plt`` of the
setup cells and the explorers' ``widgets`` are therefore these stand-ins, which import the real
module when an attribute is first read and behave as it from then on.
"""
import importlib


class LazyModule:
    """Stands in for the module ``name`` until an attribute is read, then imports it."""

    def __init__(self, name):
        object.__setattr__(self, "_name", name)

    def __getattr__(self, attribute):
        return getattr(importlib.import_module(self._name), attribute)

    def __setattr__(self, attribute, value):
        setattr(importlib.import_module(self._name), attribute, value)

    def __dir__(self):
        return dir(importlib.import_module(self._name))

    def __repr__(self):
        return f"<module {self._name!r}, imported on first use>"
