"""nbgrader configuration of the course (loaded by nbgrader_config.py)."""
import os

c = get_config()  # noqa: F821 -- provided by traitlets when it loads this file

c.CourseDirectory.course_id = "how-networks-learn"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

# A student who deletes a graded test cell gets it back instead of a silent 0.
c.OverwriteCells.add_missing_cells = True

# Grading runs many short notebooks: never wait for a polite kernel shutdown.
c.ExecutePreprocessor.timeout = 60
c.ExecutePreprocessor.shutdown_kernel = "immediate"
c.ExecutePreprocessor.interrupt_on_timeout = True

# Students are created on the fly when their submission is graded.
c.Autograde.create_student = True

# Never ship notebook outputs or checkpoints to students.
c.GenerateAssignment.create_assignment = True
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

# JupyterHub: the exchange through which the Assignment List releases, fetches, submits and
# collects (and release_feedback / fetch_feedback). Students' nbgrader_config.py must name the
# same course_id and exchange root: see the README's "A JupyterHub course".
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")
