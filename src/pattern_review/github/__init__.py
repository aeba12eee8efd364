"""Publishing a review to GitHub: sticky comment, inline review, check run.

Everything here talks to GitHub through PyGithub, only at the API URL it is
given (so GitHub Enterprise Server works), and turns API faults into one-line
errors instead of tracebacks.
"""

from __future__ import annotations
