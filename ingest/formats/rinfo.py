"""Native format reader (not yet written): defines FORMAT = None until it is."""

FORMAT = None
