"""How the service is started: the ``regiekaart`` CLI, the server that runs the API on granian, and the
runtime that wires the layers together (the one composition root)."""
