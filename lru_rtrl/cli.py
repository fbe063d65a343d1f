"""What every launcher shares: the `--config` flag and one-line errors.

    app.run(main, flags_parser=cli.flags_parser(DEFAULT_CONFIG))
    ...
    def main(argv):
        cli.run_or_exit(lambda: run(cli.config(), FLAGS.workdir))

`--config=FILE[:ARG]` names a config file (`get_config(ARG)`); `--config.a.b=value` overrides
a field. The file is executed once: it is found on the command line before absl parses it,
loaded with lru_rtrl.config's loader (a missing file, a file that does not parse, an unknown
variant: one line), and handed to absl as the config to override (an unknown key or a bad
value: one line). Mistakes a user can make are `lru_rtrl.errors.UserError`s and end the run
with one `Error:` line (the traceback too with `--verbosity=1`); any other exception is a bug
and keeps its traceback.
"""

from __future__ import annotations

import sys
import traceback
from typing import Callable, List, Optional, Sequence, Tuple

from absl import flags, logging
from ml_collections import config_flags

from lru_rtrl.config.files import load_config
from lru_rtrl.errors import UserError

FLAG = "config"


def config_argument(argv: Sequence[str], default: str) -> Tuple[str, List[str]]:
    """(the --config value, argv without it): `--config=X` or `--config X`."""
    rest = [argv[0]]
    value = default
    skip = False
    for i, arg in enumerate(argv[1:], 1):
        if skip:
            skip = False
            continue
        if arg.startswith(f"--{FLAG}="):
            value = arg[len(FLAG) + 3:]
        elif arg == f"--{FLAG}" and i + 1 < len(argv):
            value, skip = argv[i + 1], True
        else:
            rest.append(arg)
    return value, rest


def _unknown_key(error: BaseException, argv: Sequence[str]) -> str:
    """One line for a misspelt --config.* override (ml_collections raises the bare key,
    wrapped in a KeyError inside an AttributeError)."""
    while error.args and isinstance(error.args[0], BaseException):
        error = error.args[0]
    bad = [a for a in argv[1:] if a.startswith(f"--{FLAG}.")]
    message = str(error.args[0] if error.args else error).replace("\n", " ")
    return (f"Error: Unknown config key in {' '.join(bad) or 'the overrides'}: {message}. Check "
            "the spelling against the config file (the schema is in "
            "lru_rtrl/config/schema.py).")


def flags_parser(default: str) -> Callable[[List[str]], List[str]]:
    """absl's flags parser for a launcher whose --config defaults to the file `default`."""

    def parse(argv: List[str]) -> List[str]:
        spec, rest = config_argument(argv, default)
        try:
            config = load_config(spec)
        except UserError as error:
            sys.exit(f"Error: {error}")
        try:
            # sys_argv: ml_collections defines the --config.* override flags from it (and
            # looks each key up there).
            config_flags.DEFINE_config_dict(FLAG, config, f"The config of {spec} (override "
                                            "fields with --config.a.b=value).",
                                            lock_config=True, sys_argv=rest)
            return flags.FLAGS(rest)
        except (AttributeError, KeyError) as error:
            sys.exit(_unknown_key(error, argv))
        except flags.Error as error:
            sys.exit(f"Error: Bad flag: {error}")

    return parse


def config():
    """The parsed config (the file's, with the command line's overrides)."""
    return getattr(flags.FLAGS, FLAG)


def run_or_exit(body: Callable[[], Optional[object]]) -> Optional[object]:
    """Runs `body`; a UserError ends the process with its message as one line."""
    try:
        return body()
    except UserError as error:
        if logging.vlog_is_on(1):
            traceback.print_exc()
        sys.exit(f"Error: {error}")
