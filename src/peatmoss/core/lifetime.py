"""Child processes end with their parent: pool workers and servers we start must not outlive us, even when
we are killed with SIGKILL (no cleanup code runs then). On Linux the kernel sends the child a signal when its
parent dies (prctl PR_SET_PDEATHSIG); elsewhere this is a no-op."""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None = None, sig: int = signal.SIGKILL) -> None:
    """Call in a child (a pool initializer, or a Popen preexec_fn): it receives `sig` when its parent dies.
    `parent`: the pid the child was started by; if that parent is already gone, the child exits at once."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):  # no libc prctl: nothing more we can do
        return
    if parent is not None and os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def preexec(sig: int = signal.SIGTERM):
    """A `subprocess.Popen(preexec_fn=...)` that ties the new process to this one (see die_with_parent)."""
    parent = os.getpid()
    return lambda: die_with_parent(parent, sig)
