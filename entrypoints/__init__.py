"""How the service is started: the ``regiekaart`` CLI, the server that runs the API on granian, and the
runtime that wires the layers together (the one composition root)."""

import multiprocessing
import signal

# A granian worker stops when the main process tells it to, never on the terminal's Ctrl-C (see
# ``api.app._leave_interrupts_to_the_main_process``). Ignored here, the first module a worker imports
# of ours, and not only once its app runs: a Ctrl-C while a worker was still importing the API made
# that worker die with a traceback in the middle of the orderly stop.
if multiprocessing.current_process().name.startswith("granian-worker"):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
