"""How neural networks learn: the course's shared package.

Students use ``course.gradcheck``, ``course.data``, ``course.plots`` and ``course.widgets`` from
their notebooks; instructors use ``python -m course`` (``course.grading``). Nothing here
implements a graded exercise: widgets and plots take the student's functions as arguments.
"""
