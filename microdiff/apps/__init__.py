"""The command-line programs behind ``python -m microdiff``: ``demo``, ``graph`` and ``names`` (``explore`` lives
with the explorer), and :mod:`~microdiff.apps.cli`, the convention they all follow."""
