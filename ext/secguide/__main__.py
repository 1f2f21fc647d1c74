"""``python -m secguide``: the same as the ``secguide`` console script."""

import sys

from secguide.cli.main import main

sys.exit(main())
