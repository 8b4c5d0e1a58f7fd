"""Files people can use (issue 14.10): outputs take their input's mode, not the temp file's 0600;
``--in-place`` keeps mode, owner (where permitted) and timestamps. Real CLI runs under a strict
umask, so the result cannot come from the umask by accident; inputs made by Pillow and by hand."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from PIL import Image

from labeler import verify_file

from .conftest import PRODUCER, sha256


def labeler(*args: str, umask: int = 0o077) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labeler", *args], capture_output=True, text=True, timeout=300, preexec_fn=lambda: os.umask(umask)
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def inputs(folder: Path) -> dict[str, int]:
    folder.mkdir()
    modes = {"shared.md": 0o644, "group.md": 0o640, "script.md": 0o755, "picture.png": 0o664}
    for name in modes:
        if name.endswith(".png"):
            Image.new("RGB", (320, 200), (40, 90, 160)).save(folder / name)
        else:
            (folder / name).write_text("# Title\n\nSome copy.\n")
        os.chmod(folder / name, modes[name])
    return modes


def test_new_outputs_take_the_inputs_mode_and_reports_the_umask_default(tmp_path: Path) -> None:
    modes = inputs(tmp_path / "in")
    out = tmp_path / "out"
    done = labeler("label", str(tmp_path / "in"), "--out", str(out), "--producer", PRODUCER, "--no-explicit", "--no-progress")
    assert done.returncode == 0, done.stdout + done.stderr
    assert {name: mode(out / name) for name in modes} == modes
    report = tmp_path / "report.json"
    verified = labeler("verify", str(out), "--no-progress", "--report", f"json={report}", umask=0o022)
    assert verified.returncode in (0, 1), verified.stderr
    assert mode(report) == 0o644, "a new report gets the umask default, like any new file"


def test_in_place_keeps_mode_owner_and_timestamps(tmp_path: Path) -> None:
    modes = inputs(tmp_path / "in")
    when = (978_307_200_123_456_789, 981_000_000_987_654_321)  # 2001: atime, mtime in ns
    owner = (1234, 2345) if os.geteuid() == 0 else (os.getuid(), os.getgid())
    before = {}
    for name in modes:
        path = tmp_path / "in" / name
        if os.geteuid() == 0:
            os.chown(path, *owner)
        before[name] = sha256(path)
        os.utime(path, ns=when)  # after reading it
    done = labeler("label", "--in-place", str(tmp_path / "in"), "--producer", PRODUCER, "--no-explicit", "--no-progress")
    assert done.returncode == 0, done.stdout + done.stderr
    for name in modes:
        path = tmp_path / "in" / name
        st = os.stat(path)  # before reading it here, which moves the access time
        assert stat.S_IMODE(st.st_mode) == modes[name], name
        assert (st.st_uid, st.st_gid) == owner, name
        assert st.st_mtime_ns == when[1], name  # the access time is when labeler read it, as for any reader
        assert sha256(path) != before[name] and verify_file(path, check_explicit=False).implicit.present, name
