"""``python -m recorder.sim``: the same as ``recorder simulate``."""

from recorder.sim.cli import main

raise SystemExit(main())
