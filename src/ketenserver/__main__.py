import sys

from ketenserver.cli import main

sys.exit(main())
