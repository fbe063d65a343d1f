"""The progress bar of long work that is not training (ListOps generator, sweeps, bench)."""

import io

import pytest

from lru_rtrl.progress import ProgressBar, duration, size


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (42.9, "42s"), (185, "3m05s"),
                                           (3720, "1h02m"), (float("nan"), "?"),
                                           (float("inf"), "?")])
def test_durations(seconds, text):
    assert duration(seconds) == text


def test_in_a_log_file_it_writes_a_line_per_tenth():
    stream = io.StringIO()  # not a terminal
    bar = ProgressBar(1000, "trees", stream=stream)
    for count in range(1, 1001):
        bar.update(count, f"({count * 3} draws)")
    bar.done()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11  # the start, then every 10%
    assert lines[0].startswith("trees [--------------------]   0% 1/1,000 ")
    assert lines[5].startswith("trees [##########----------]  50% 500/1,000 ")
    assert "ETA" in lines[5] and lines[5].endswith("(1500 draws)")
    assert lines[-1].startswith("trees [####################] 100% 1,000/1,000 ")
    assert "ETA" not in lines[-1]


def test_on_a_terminal_it_redraws_one_line():
    class Terminal(io.StringIO):
        def isatty(self):
            return True
    stream = Terminal()
    bar = ProgressBar(4, "runs", stream=stream, interval=0.0)
    for count in range(1, 5):
        bar.update(count)
    bar.done()
    text = stream.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")
    assert text.count("\r") == 5 and "100% 4/4" in text


def test_bytes_show_sizes_and_the_rate_of_this_session_only():
    stream = io.StringIO()
    bar = ProgressBar(10_000_000, "lra_release.gz", stream=stream, unit="B", initial=4_000_000)
    bar.start -= 2.0  # two seconds ago
    bar.update(6_000_000)
    line = stream.getvalue().splitlines()[-1]
    # 2 MB in this session's 2 s: 1 MB/s, and 4 MB to go: about 4 s.
    assert line.startswith("lra_release.gz [############--------]  60% 6.00 MB/10.0 MB 1.00 MB/s")
    assert line.endswith(("ETA 4s", "ETA 3s"))


@pytest.mark.parametrize("count, text", [(512, "512 B"), (999_999, "1.00 MB"),
                                         (12_345_678, "12.3 MB"), (2_500_000_000, "2.50 GB")])
def test_sizes(count, text):
    assert size(count) == text
