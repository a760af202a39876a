"""sparklite-shell's helpers that need no process: --py-files staging, warnings, job error text."""
from __future__ import annotations

import os
import shutil
import sys

import pytest

from sparklite.cli.console import format_job_error
from sparklite.cli.resolve import stage_py_files
from sparklite.errors import ConfigError, JobCancelledError, JobInterrupted, job_error


def test_py_files_are_staged_as_import_paths(tmp_path):
    (tmp_path / "a.py").write_text("A = 1\n")
    (tmp_path / "b.py").write_text("B = 2\n")
    (tmp_path / "c.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)  # an empty zip archive
    paths, copies = stage_py_files(f"{tmp_path / 'a.py'}, {tmp_path / 'c.zip'},{tmp_path / 'b.py'}")
    try:
        assert paths == [copies, str(tmp_path / "c.zip")]
        assert sorted(os.listdir(copies)) == ["a.py", "b.py"]
    finally:
        shutil.rmtree(copies)
    assert stage_py_files(None) == ([], None)


@pytest.mark.parametrize("name,message", [("missing.py", "file not found"), ("notes.txt", ".py, .zip and .egg")])
def test_bad_py_files_are_refused(tmp_path, name, message):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ConfigError, match=message):
        stage_py_files(str(tmp_path / name))


def test_job_errors_are_formatted_without_engine_frames():
    remote = 'Traceback (most recent call last):\n  File "<console>", line 1, in <lambda>\nZeroDivisionError: x\n'
    error = job_error(f"Job 4 aborted due to stage failure: boom\n{remote}", remote, "builtins.ZeroDivisionError",
                      ZeroDivisionError("x"))
    try:
        raise error
    except Exception:
        tb = sys.exc_info()[2]
    text = format_job_error(error, tb)
    # this test file's frame is the user's driver frame here; the message keeps the remote frames
    assert text.startswith("Traceback (most recent call last):\n  File \"" + __file__)
    assert text.endswith(f"SparkliteJobError[ZeroDivisionError]: Job 4 aborted due to stage failure: boom\n"
                         f"{remote}")
    assert format_job_error(JobInterrupted(3, "Job 3 cancelled: Ctrl-C"), None) == "Job 3 cancelled: Ctrl-C\n"
    assert format_job_error(JobCancelledError("Job 5 cancelled: g"), None) == "JobCancelledError: Job 5 cancelled: g\n"
    assert format_job_error(ValueError("plain"), None) is None
