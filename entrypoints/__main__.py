from entrypoints.cli import run

run()
