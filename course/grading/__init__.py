"""Instructor tools: build the release, grade a class, feedback, export and reports."""
