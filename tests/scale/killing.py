"""Kill a real process with SIGKILL at random points, again and again, then let it finish."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from typing import Callable


def kill_repeatedly(cmd: list[str], env: dict, kills: int, progress: Callable[[], int], *, seed: int = 7,
                    steps: tuple[int, int] = (1, 10), jitter: float = 0.0, timeout: float = 60.0,
                    after_kill=None) -> list[int]:
    """Start `cmd`, wait until `progress()` moved a random number of steps, SIGKILL it; `kills` times.

    Returns the progress value at each kill. A process that finishes before its kill point fails the test.
    """
    rng = random.Random(seed)
    points = []
    for _ in range(kills):
        start = progress()
        target = start + rng.randint(*steps)
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + timeout
        while progress() < target and proc.poll() is None and time.time() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0, jitter))
        if proc.poll() is not None:
            raise AssertionError(f"finished before kill {len(points) + 1}: {proc.stderr.read().decode()[-2000:]}")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
        points.append(progress())
        if after_kill:
            after_kill()
    return points


def finish(cmd: list[str], env: dict, timeout: float = 300.0) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return done
