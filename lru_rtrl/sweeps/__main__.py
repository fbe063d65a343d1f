"""`python -m lru_rtrl.sweeps`: run a sweep of a config file, then write its results table.

    python -m lru_rtrl.sweeps --config=configs/copy.py --sweep=fig2_ef --root=runs/fig2_ef
    python -m lru_rtrl.sweeps --config=configs/copy.py --sweep=fig2_ef --root=DIR --print_only
    python -m lru_rtrl.sweeps --config=configs/copy.py --sweep=repro --root=runs/repro \
        --out=docs/reproduction

Expands the sweep (`get_sweep(name)` of the config file) into launcher invocations
`python launch/main.py --config=<file>:<arg> --config.a.b=v ... --workdir=<root>/<run name>`
and writes `<root>/sweep.json`. Then either prints the commands, one per line, for a cluster
scheduler (--print_only; run them from the repository root, then
`python -m lru_rtrl.sweeps.collect --root=<root>`), or runs them here one after the other
(finished runs are skipped, so the same command resumes a sweep; --max_runs N stops after N
launches) and writes `results.md`, `results.json` (and the plots, for sweeps that ask for
them or with --plots) to --out (default: the root).
"""

from __future__ import annotations

import sys

from absl import app, flags

FLAGS = flags.FLAGS
flags.DEFINE_string("config", None, "Config file with a get_sweep(name), e.g. configs/copy.py.")
flags.DEFINE_string("sweep", None, "Sweep name (an unknown name lists the known ones).")
flags.DEFINE_string("root", None, "Directory of the runs (one workdir per run) and sweep.json.")
flags.DEFINE_bool("print_only", False, "Print the launcher commands, one per line, and stop.")
flags.DEFINE_integer("max_runs", 0, "Launch at most this many unfinished runs (0: all).")
flags.DEFINE_string("out", None, "Where results.md / results.json / plots go (default: root).")
flags.DEFINE_bool("plots", None, "Draw the PNG plots (default: as the sweep says).")
flags.DEFINE_string("python", sys.executable, "Python interpreter of the launched runs.")
flags.mark_flags_as_required(["config", "sweep", "root"])


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    from lru_rtrl.sweeps import expand, report, runner, spec
    from lru_rtrl.sweeps.loading import SweepConfigError, load_sweep
    try:
        sweep = load_sweep(FLAGS.config, FLAGS.sweep)
        runs = expand.expand(sweep, FLAGS.config)
    except (SweepConfigError, spec.UnknownSweepError) as error:
        sys.exit(f"Error: {error}")
    manifest = expand.write_manifest(FLAGS.root, sweep, FLAGS.config, runs)
    print(f"{spec.describe(sweep)}; manifest {manifest}", file=sys.stderr)
    if FLAGS.print_only:
        for run in runs:
            print(run.command(FLAGS.config, FLAGS.root))
        return
    outcomes = runner.run_all(runs, FLAGS.config, FLAGS.root, max_runs=FLAGS.max_runs,
                              python=FLAGS.python)
    from lru_rtrl.sweeps.plots import PlotsUnavailable
    try:
        _, files = report.make_report(sweep, runs, FLAGS.root, FLAGS.config, FLAGS.out,
                                      plots=FLAGS.plots)
    except PlotsUnavailable as error:
        sys.exit(f"Error: {error} (rerun with --noplots, or later "
                 f"`python -m lru_rtrl.sweeps.collect --root={FLAGS.root}`).")
    with open(files[0], encoding="utf-8") as handle:
        print(handle.read())
    print(f"Runs: {report.status_line(files[1])}. Wrote {', '.join(files)}")
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        sys.exit(f"{len(failed)} run(s) failed: " + "; ".join(
            f"{o.run.name} ({o.message})" for o in failed))


if __name__ == "__main__":
    app.run(main)
