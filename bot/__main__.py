"""`python -m bot` starts the service, like `hoidap bot`."""

import sys

from bot.cli import main

sys.exit(main(["bot", *sys.argv[1:]]))
