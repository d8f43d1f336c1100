"""Which lesson cells grading can leave out: the instructor's cells whose results nothing reads.

Most lesson cells only draw a picture, print a table or show an explorer; under nbgrader nobody
sees that, and building the figures is a good part of a notebook's run time. A lesson cell is
left out of grading when

- it is the instructor's (its source is a lesson cell of the source notebook, unchanged), and
- no cell after it in the submitted notebook reads a name it defines (the student's own cells
  and solutions included; names a later cell defines before reading them do not count), and
- no cell after it reaches names in ways a reading of the source cannot follow (``globals()``,
  ``eval``, ``exec``, ``vars``, ``locals``, ``get_ipython()`` and with it every magic).

Everything else runs as before: setup cells, solution cells, the student's own cells, and the
lesson cells whose definitions something later uses.
"""
import ast
import symtable
from functools import lru_cache

from .timings import cell_key

OPAQUE = {"globals", "locals", "vars", "eval", "exec", "get_ipython", "__import__", "__builtins__"}


@lru_cache(maxsize=1)
def _transformer():
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


def _parse(source):
    try:
        return ast.parse(_transformer().transform_cell(source))
    except (SyntaxError, ValueError):
        return None


def _names(statement):
    """``(names read, names bound)`` at the notebook's top level by ``statement`` (a statement or
    a module): a name used
    inside a function, lambda or comprehension counts when it is not local there."""
    table = symtable.symtable(ast.unparse(ast.fix_missing_locations(statement)), "<cell>", "exec")
    reads, binds = set(), set()

    def visit(scope, top):
        for symbol in scope.get_symbols():
            name = symbol.get_name()
            if top:
                if symbol.is_referenced():
                    reads.add(name)
                if symbol.is_assigned() or symbol.is_imported() or symbol.is_namespace():
                    binds.add(name)
            elif symbol.is_global():
                if symbol.is_referenced():
                    reads.add(name)
                if symbol.is_assigned():
                    binds.add(name)
        for child in scope.get_children():
            visit(child, False)

    visit(table, True)
    return reads, binds


def _reads(statements, defined):
    """Names ``statements`` read before binding them, in order. ``defined`` holds the names bound
    for sure so far; names bound inside a loop, a branch, a ``with`` or a ``try`` count as bound
    only inside it (the block may not run to its end)."""
    reads = set()
    for statement in statements:
        if isinstance(statement, (ast.For, ast.AsyncFor)):
            reads |= _names(ast.Expr(statement.iter))[0] - defined
            inner = defined | _names(ast.Assign([statement.target], ast.Constant(0), lineno=0))[1]
            reads |= _reads(statement.body, inner) | _reads(statement.orelse, set(defined))
        elif isinstance(statement, (ast.If, ast.While)):
            reads |= _names(ast.Expr(statement.test))[0] - defined
            reads |= _reads(statement.body, set(defined)) | _reads(statement.orelse, set(defined))
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            inner = set(defined)
            for item in statement.items:
                reads |= _names(ast.Expr(item.context_expr))[0] - inner
                if item.optional_vars is not None:
                    inner |= _names(ast.Assign([item.optional_vars], ast.Constant(0), lineno=0))[1]
            reads |= _reads(statement.body, inner)
        elif isinstance(statement, ast.Try):
            reads |= _reads(statement.body, set(defined)) | _reads(statement.orelse, set(defined))
            reads |= _reads(statement.finalbody, set(defined))
            for handler in statement.handlers:
                if handler.type is not None:
                    reads |= _names(ast.Expr(handler.type))[0] - defined
                reads |= _reads(handler.body, defined | ({handler.name} if handler.name else set()))
        else:
            statement_reads, statement_binds = _names(statement)
            reads |= statement_reads - defined
            defined |= statement_binds
    return reads


# A worker grades many submissions of one notebook: all but the student's cells are the same text.
@lru_cache(maxsize=4096)
def reads_and_defines(source):
    """``(names the cell reads before defining them itself, names it may define)``, or ``None``
    when the cell cannot be parsed."""
    tree = _parse(source)
    if tree is None:
        return None
    return frozenset(_reads(tree.body, set())), frozenset(_names(tree)[1])


def _plain(cell):
    return cell.cell_type == "code" and not cell.metadata.get("nbgrader")


def unused_lesson_cells(nb, source_nb):
    """Indices of the cells of ``nb`` (a submission) that grading may leave out."""
    lessons = {cell_key(c) for c in source_nb.cells if _plain(c)}
    skip, read_later, opaque = set(), set(), False
    for index in range(len(nb.cells) - 1, -1, -1):
        cell = nb.cells[index]
        if cell.cell_type != "code":
            continue
        found = reads_and_defines(cell.source)
        if found is None:
            continue  # it cannot run, so it reads nothing
        reads, defined = found
        if (_plain(cell) and cell_key(cell) in lessons and not opaque and not (defined & read_later)
                and not (reads & OPAQUE)):
            skip.add(index)
            continue  # left out: what it reads does not matter
        read_later |= reads
        if reads & OPAQUE:
            opaque = True
    return skip
