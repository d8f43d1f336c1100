load_subconfig("grader_config.py")  # noqa: F821 -- nbgrader and its lab extension only read this file name
