import signal

from pipeline.cli import main

# `python -m pipeline checks | head` should stop quietly, not print a BrokenPipeError traceback
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
raise SystemExit(main())
