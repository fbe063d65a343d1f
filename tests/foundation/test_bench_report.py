"""The bench's flat-memory line: the streaming engine's own memory is reported with and without
the input batch (which the bench passes whole and a stream fed in chunks never holds)."""

from lru_rtrl.bench import report


def _record(seq_len, xla_mib, batch_mib=None):
    record = dict(engine="streaming", rule="online_full", seq_len=seq_len, xla_mib=xla_mib,
                  rss_mib=100.0)
    if batch_mib is not None:
        record["batch_mib"] = batch_mib
    return record


def test_flat_memory_line_separates_the_input_batch():
    # Engine memory 10 MiB at both T; the batch grows 0.5 -> 8 MiB.
    (line,) = report.flat_memory_lines([_record(16384, 18.0, 8.0), _record(1024, 10.5, 0.5)])
    assert "T=16384 is 1.714x that at T=1024" in line
    assert "without the input batch (0.50 -> 8.00 MiB) 1.000x" in line


def test_flat_memory_line_of_records_without_batch_size_reports_the_total_only():
    (line,) = report.flat_memory_lines([_record(1024, 10.0), _record(4096, 11.0)])
    assert "1.100x" in line and "without" not in line
