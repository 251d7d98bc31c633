"""The command-line programs behind ``python -m microdiff``: ``demo`` and ``graph``."""
