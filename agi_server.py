"""Entry point: `python agi_server.py [-c autocom.yaml] [--now ISO]` is `autocom serve`."""

import sys

from autocom.cli import main

if __name__ == "__main__":
    argv = sys.argv[1:]
    options = [a for a in argv if a in ("-c", "--config")]
    if options:
        i = argv.index(options[0])
        sys.exit(main([*argv[i : i + 2], "serve", *argv[:i], *argv[i + 2 :]]))
    sys.exit(main(["serve", *argv]))
