"""`python -m lru_rtrl.sweeps.collect --root=DIR`: (re)build a sweep's results from its runs.

Reads `<root>/sweep.json` (written by `python -m lru_rtrl.sweeps`, also with --print_only)
and every run's `metrics.jsonl`, selects per row by validation loss, and writes
`results.md` and `results.json` (and the plots, for sweeps that ask for them or with
--plots) to --out (default: the root). Unfinished runs are left out; the table counts seeds.
Without a sweep.json, give --config and --sweep to expand the sweep again.
"""

from __future__ import annotations

import sys

from absl import app, flags

FLAGS = flags.FLAGS
flags.DEFINE_string("root", None, "Directory of the sweep's runs.")
flags.DEFINE_string("out", None, "Where results.md / results.json / plots go (default: root).")
flags.DEFINE_bool("plots", None, "Draw the PNG plots (default: as the sweep says).")
flags.DEFINE_string("config", None, "Config file, when the root has no sweep.json.")
flags.DEFINE_string("sweep", None, "Sweep name, when the root has no sweep.json.")
flags.mark_flag_as_required("root")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    from lru_rtrl.sweeps import expand, report, spec
    from lru_rtrl.sweeps.loading import SweepConfigError, load_sweep
    from lru_rtrl.sweeps.plots import PlotsUnavailable
    try:
        if FLAGS.config or FLAGS.sweep:
            if not (FLAGS.config and FLAGS.sweep):
                raise SweepConfigError("Give both --config and --sweep, or neither.")
            sweep, config_path = load_sweep(FLAGS.config, FLAGS.sweep), FLAGS.config
            runs = expand.expand(sweep, config_path)
        else:
            sweep, config_path, runs = expand.read_manifest(FLAGS.root)
        _, files = report.make_report(sweep, runs, FLAGS.root, config_path, FLAGS.out,
                                      plots=FLAGS.plots)
    except (SweepConfigError, spec.UnknownSweepError, PlotsUnavailable) as error:
        sys.exit(f"Error: {error}")
    with open(files[0], encoding="utf-8") as handle:
        print(handle.read())
    print(f"Runs: {report.status_line(files[1])}. Wrote {', '.join(files)}")


if __name__ == "__main__":
    app.run(main)
