"""nbgrader configuration of the course (loaded by nbgrader_config.py)."""
import os

c = get_config()  # noqa: F821 -- provided by traitlets when it loads this file

c.CourseDirectory.course_id = "how-networks-learn"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

# A student who deletes a graded test cell gets it back instead of a silent 0.
c.OverwriteCells.add_missing_cells = True

# Time limits follow the instructor's notebook (`python -m course build` times it into
# autograded/reference_timings.json): a cell may take time_multiple x its reference seconds +
# time_floor (time_floor alone for a cell the reference does not have), the notebook
# time_multiple x the reference total + budget_floor. Without a reference: the fixed limits
# ExecutePreprocessor.timeout (a cell) and SandboxedExecute.notebook_timeout (a notebook).
c.SandboxedExecute.time_multiple = 10
c.SandboxedExecute.time_floor = 5
c.SandboxedExecute.budget_floor = 30

# Grading runs many short notebooks: never wait for a polite kernel shutdown.
c.ExecutePreprocessor.timeout = 60
c.ExecutePreprocessor.shutdown_kernel = "immediate"
c.ExecutePreprocessor.interrupt_on_timeout = True

# One grading pipeline for every entry point (`python -m course grade`, `nbgrader autograde`,
# Formgrader's buttons): the student's cells run in the bubblewrap sandbox, the test cells in
# the grader's own process (the trusted runner); feedback never shows hidden tests or scripts.
# Grading without bubblewrap: c.SandboxedExecute.sandbox = False (trusted machines only).
from course.grading.feedback import FEEDBACK_EXPORTER, feedback_preprocessors  # noqa: E402
from course.grading.pipeline import autograde_preprocessors, sanitize_preprocessors  # noqa: E402

c.Autograde.sanitize_preprocessors = sanitize_preprocessors()
c.Autograde.autograde_preprocessors = autograde_preprocessors("course.grading.execute.SandboxedExecute")
c.GenerateFeedback.preprocessors = feedback_preprocessors()
# Feedback pages that read offline (no MathJax from a CDN; tests and written answers named), from
# every path that writes them: `course feedback`, `nbgrader generate_feedback`, Formgrader.
c.GenerateFeedback.exporter_class = FEEDBACK_EXPORTER

# Students are created on the fly when their submission is graded.
c.Autograde.create_student = True

# Never ship notebook outputs or checkpoints to students.
c.GenerateAssignment.create_assignment = True
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

# JupyterHub: the exchange through which the Assignment List releases, fetches, submits and
# collects (and release_feedback / fetch_feedback). Students' nbgrader_config.py must name the
# same course_id and exchange root: see the README's "A JupyterHub course".
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")
