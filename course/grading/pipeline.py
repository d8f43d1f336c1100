"""The grader's own steps in nbgrader's autograde pipeline, around the trusted Execute.

``DropStrippedMetadata`` (sanitize phase, after nbgrader's DeduplicateIds)
    a duplicated test cell keeps its metadata once; nbgrader leaves ``nbgrader: {}`` on the
    copies, on which its OverwriteCells (add_missing_cells) crashes: the copies become plain
    cells and the original test runs as it should.

``RestoreOrder`` (before execution)
    puts the read-only, solution and test cells back in the order of the source notebook (a
    student may have moved them); the student's own extra cells follow the cell they followed.

The Execute step itself is ``course.grading.execute.SandboxedExecute``: the sandboxed kernel
runs the student's cells, the trusted runner (``course.grading.runner``) the test cells.

Importing this module (grader_config.py does, for every entry point) also makes nbgrader's
metadata validation check each cell against one compiled validator (``_CompiledSchemas``).
"""
import json
import os
from functools import lru_cache

import jsonschema
import nbformat
from jsonschema.exceptions import best_match
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Unicode


class RestoreOrder(NbGraderPreprocessor):
    """Read-only, solution and test cells in the source notebook's order; a student's own
    cells stay after the cell they followed."""

    enabled = Bool(True).tag(config=True)
    source_directory = Unicode("", help="default: CourseDirectory.root/source").tag(config=True)

    def _source_path(self, resources):
        info = resources.get("nbgrader", {})
        root = self.config.CourseDirectory.get("root", os.getcwd())
        source = self.source_directory or os.path.join(
            root, self.config.CourseDirectory.get("source_directory", "source"))
        return os.path.join(source, info.get("assignment", ""), info.get("notebook", "") + ".ipynb")

    def preprocess(self, nb, resources):
        path = self._source_path(resources)
        if not os.path.exists(path):
            self.log.warning("RestoreOrder: no source notebook at %s; order left as submitted", path)
            return nb, resources
        order = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nbformat.read(path, as_version=4).cells]
        rank = {grade_id: i for i, grade_id in enumerate(order) if grade_id}
        head, groups = [], {}
        current = None
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in rank and grade_id not in groups:
                current = grade_id
                groups[current] = [cell]
            elif current is None:
                head.append(cell)
            else:
                groups[current].append(cell)
        if [g for g in groups] != sorted(groups, key=rank.get):
            self.log.warning("cells were moved; restored the source notebook's order")
        cells = list(head)
        for grade_id in sorted(groups, key=rank.get):
            cells.extend(groups[grade_id])
        nb.cells = cells
        return nb, resources


class DropStrippedMetadata(NbGraderPreprocessor):
    """Removes the empty ``nbgrader`` metadata that DeduplicateIds leaves on a duplicated cell.

    Without this, nbgrader 0.9.6's OverwriteCells (with add_missing_cells) fails on the
    duplicate with ``KeyError: 'grade_id'`` and the whole submission is not graded.
    """

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader")
        if meta is not None and "grade_id" not in meta:
            del cell.metadata["nbgrader"]
        return cell, resources


def sanitize_preprocessors():
    """nbgrader's sanitize preprocessors (import strings) with ``DropStrippedMetadata``."""
    nb = "nbgrader.preprocessors."
    return [nb + "ClearOutput", nb + "DeduplicateIds", __name__ + ".DropStrippedMetadata",
            nb + "OverwriteKernelspec", nb + "OverwriteCells", nb + "CheckCellMetadata"]


def autograde_preprocessors(execute):
    """nbgrader's autograde preprocessors (as import strings, so the configuration stays plain
    JSON) with ``execute`` (an import string) instead of its Execute."""
    nb = "nbgrader.preprocessors."
    return [__name__ + ".RestoreOrder", execute,
            nb + "IgnorePattern", "nbconvert.preprocessors.ClearMetadataPreprocessor",
            nb + "LimitOutput", nb + "SaveAutoGrades", nb + "AssignLatePenalties", nb + "CheckCellMetadata"]


class _CompiledSchemas:
    """Stands in for the ``jsonschema`` module inside ``nbgrader.nbgraderformat.common``.

    nbgrader validates every cell's metadata with ``jsonschema.validate``, which first checks the
    schema itself: about 90% of a notebook's validation, and nbgrader validates a notebook each
    time it reads, writes or checks it (50-130 ms each for this course's notebooks). Here the
    schema is checked once and its validator kept; an invalid cell raises the error
    ``jsonschema.validate`` would (its best match).
    """

    @staticmethod
    @lru_cache(maxsize=8)
    def _validator(schema_text):
        schema = json.loads(schema_text)
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        return cls(schema)

    def validate(self, instance, schema):
        error = best_match(self._validator(json.dumps(schema, sort_keys=True)).iter_errors(instance))
        if error is not None:
            raise error


def _validate_metadata_with_compiled_schemas():
    from nbgrader.nbgraderformat import common

    common.jsonschema = _CompiledSchemas()


_validate_metadata_with_compiled_schemas()
