"""The README's quick-start, walked as written: its shell blocks (between `<!-- quickstart -->` and
`<!-- /quickstart -->`) run in one bash, in order, against a fresh `regiekaart serve` started the way
the tests start services, in place of its `make serve`. Only the API's address, a shell variable the
README defines, is set to the test service's; the first admin token is read from the service's data
directory, `.regiekaart` in the shell's working directory, as the README says.

The decision must be missing from the map before and on it after (the README says to run the read
again while the map is a moment behind), its body must be the documented example, and the region's
feed must carry it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import uuid
from pathlib import Path

from api.examples import TOKEN_EXAMPLES, TRANSFER

README = Path(__file__).parents[2] / "README.md"
SHOWN = '"agreement":"nmz-pactum-2027"'
DEADLINE_SECONDS = 60.0


def quickstart_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("<!-- quickstart -->")[1].split("<!-- /quickstart -->")[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)


def only_the_address(block: str, url: str) -> str:
    """The block with the README's API address replaced by the test service's."""
    return re.sub(r"^API=http://127\.0\.0\.1:8000$", f"API={url}", block, flags=re.MULTILINE)


class Shell:
    """One bash, as in the README's second terminal: variables carry from block to block."""

    def __init__(self, directory: Path) -> None:
        self.process = subprocess.Popen(
            ["bash"],
            cwd=directory,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own group: the feed's curl ends with it
        )

    def run(self, block: str) -> str:
        marker = f"--- {uuid.uuid4().hex} ---"
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{block}\necho\necho '{marker}'\n")
        self.process.stdin.flush()
        lines = []
        for line in self.process.stdout:
            if line.strip() == marker:
                return "".join(lines)
            lines.append(line)
        raise AssertionError("bash ended:\n" + "".join(lines))

    def start(self, block: str, output: Path) -> None:
        """Runs a block that does not end (the feed) beside the shell, into ``output``."""
        self.run(f"( {block} ) > {output} 2>&1 &")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def test_the_readme_quickstart_records_a_decision_that_reaches_the_map_and_the_feed(
    tmp_path, own_service
) -> None:
    serve, addresses, token, before, transfer, after, feed = quickstart_blocks()
    assert serve.strip() == "make serve"
    assert "API=http://127.0.0.1:8000" in addresses.splitlines()
    assert before == after
    # The bodies are the OpenAPI document's examples (api/examples.py).
    posted = re.search(r"-d '(.*?)'", transfer, flags=re.DOTALL)
    assert posted and json.loads(posted.group(1)) == TRANSFER.body
    created = re.search(r"-d '(.*?)'", token)
    assert created and json.loads(created.group(1)) == TOKEN_EXAMPLES[0].body

    service = own_service(tmp_path / ".regiekaart", workers=1)
    shell = Shell(tmp_path)
    try:
        shell.run(only_the_address(addresses, service.url))
        shell.run(token)
        assert SHOWN not in shell.run(before)
        answer = json.loads(shell.run(transfer))
        assert answer["command"] == "TransferAccountHoldership" and answer["event_ids"], answer
        deadline = time.monotonic() + DEADLINE_SECONDS
        while SHOWN not in shell.run(after):
            assert time.monotonic() < deadline, "the map did not show the transfer"
            time.sleep(0.5)
        followed = tmp_path / "feed.txt"
        shell.start(feed, followed)
        while not followed.exists() or "nmz-pactum-2027" not in followed.read_text():
            assert time.monotonic() < deadline, "the feed did not carry the transfer"
            time.sleep(0.5)
        # The SSE message (lines up to a blank one) whose data names the transfer.
        message = re.split(r"\r?\n\r?\n", followed.read_text().split("nmz-pactum-2027")[0])[-1]
        assert "event: nl.regiekaart.AccountHoldership.HolderTransferred" in message
    finally:
        shell.stop()
    service.stop()
