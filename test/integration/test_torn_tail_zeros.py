"""A torn WAL tail followed by zeros, through the real binary after kill -9.

A power cut on a file system that extended the file before the data reached the disk leaves the
newest record cut short and then a block of zeros. The server must cut it with a warning and
start with every record before it; a damaged record with an intact one after it stays
corruption (the start is refused). The scanner's unit tests cover every cut position; here a
few positions and zero-block sizes go through restarts of the real server.
"""

from __future__ import annotations

import shutil

import pytest

from test_persistence_crash import check_all_but_last, restore, single_segment_dir
from persist_util import frames

pytestmark = pytest.mark.kv_only


def append_zeros(seg, cut: int, zeros: int) -> None:
    with open(seg, "r+b") as f:
        f.truncate(cut)
        f.seek(cut)
        f.write(b"\0" * zeros)


def test_torn_last_record_then_zeros_is_cut(kv_persist):
    n = 20
    s, seg = single_segment_dir(kv_persist, n)
    _, frs = frames(seg)
    last = frs[-1]
    pristine = s.workdir / "pristine"
    shutil.copytree(s.data_dir, pristine)
    # Inside the frame header, just after it, in the middle, one byte short of complete.
    for cut in (last.offset + 2, last.offset + 12, last.offset + last.size // 2,
                last.offset + last.size - 1):
        for zeros in (7, 4096, 65536):
            restore(s, pristine)
            append_zeros(seg, cut, zeros)
            s.restart()
            check_all_but_last(s, n)
            err = s.stderr_text()
            assert f"{seg}: cut " in err and f"torn record at offset {last.offset}" in err, \
                (cut, zeros, err)
            s.kill9()
            assert seg.stat().st_size == last.offset, (cut, zeros)


def test_last_bytes_zeroed_then_zeros_is_cut(kv_persist):
    """The page-boundary shape: the record's length is all there, its last bytes are zeros
    (their page never written), and zeros follow."""
    n = 20
    s, seg = single_segment_dir(kv_persist, n)
    _, frs = frames(seg)
    last = frs[-1]
    data = seg.read_bytes()
    zeroed = last.size // 3
    seg.write_bytes(data[:len(data) - zeroed] + b"\0" * (zeroed + 4096))
    s.restart()
    check_all_but_last(s, n)
    assert f"torn record at offset {last.offset}" in s.stderr_text()


def test_damaged_record_before_an_intact_one_still_refuses_to_start(kv_persist):
    n = 20
    s, seg = single_segment_dir(kv_persist, n)
    _, frs = frames(seg)
    victim = frs[-3]
    data = bytearray(seg.read_bytes())
    data[victim.offset + victim.size // 2] ^= 0x20
    seg.write_bytes(bytes(data) + b"\0" * 4096)
    code = s.start_expecting_exit()
    assert code != 0
    assert f"corrupt at offset {victim.offset}" in s.stderr_text()
