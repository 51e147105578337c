"""A thread that is done with torch hands its OpenMP workers back (lmlab/cpu_threads.py)."""

import ctypes
import os
import sys
import threading

import pytest
import torch

from lmlab.cpu_threads import release_worker_threads
from lmlab.turns import model_turn

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or torch.get_num_threads() < 2,
                                reason="libgomp teams exist on Linux with two or more threads")


PROBE_NAME = b"lmlab-probe"  # at most 15 bytes: the kernel's limit for a thread's name
PR_SET_NAME = 15


def os_threads() -> int:
    """The probe thread and the OpenMP workers it made (a new thread inherits its maker's name).

    Counting every thread of the process would race with threads that other tests left
    behind ending meanwhile; on two cores a team adds one worker, so one such exit hid it.
    """
    count = 0
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/comm", "rb") as comm:
                count += comm.read().strip() == PROBE_NAME
        except OSError:
            continue  # the thread ended while being read
    return count


def in_new_thread(work) -> dict:
    seen: dict = {}

    def named_work():
        ctypes.CDLL(None).prctl(PR_SET_NAME, PROBE_NAME, 0, 0, 0)
        work(seen)

    thread = threading.Thread(target=named_work)
    thread.start()
    thread.join()
    return seen


def test_release_frees_the_calling_threads_workers_only():
    def work(seen):
        torch.ones(4_000_000) + 1  # a kernel big enough to run on every thread
        seen["with_team"] = os_threads()
        seen["released"] = release_worker_threads()
        seen["after"] = os_threads()
        torch.ones(4_000_000) + 1  # the next kernel makes a new team and still works
        seen["again"] = os_threads()
        release_worker_threads()

    seen = in_new_thread(work)
    assert seen["released"]
    assert seen["after"] == seen["with_team"] - (torch.get_num_threads() - 1)
    assert seen["again"] == seen["with_team"]


def test_a_model_turn_gives_its_workers_back_when_it_ends(tiny_gpt2):
    ids = torch.tensor([[1, 2, 3, 4]])

    def work(seen):
        seen["before"] = os_threads()
        with model_turn(tiny_gpt2):
            with model_turn(tiny_gpt2):  # re-entrant: only the outermost end releases
                torch.ones(4_000_000) + 1
            seen["inner_done"] = os_threads()
            tiny_gpt2.model(ids)
        seen["after"] = os_threads()

    seen = in_new_thread(work)
    assert seen["inner_done"] > seen["before"]
    assert seen["after"] == seen["before"]
