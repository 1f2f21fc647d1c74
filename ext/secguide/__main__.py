"""``python -m secguide``: the same as the ``secguide`` console script."""

import sys

from secguide.cli import main

sys.exit(main())
