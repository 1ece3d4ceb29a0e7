"""Two service processes starting at once against one cluster both come up, and the governance facts
are recorded once between them: afterwards a third import finds everything there."""

from __future__ import annotations

import subprocess
import sys

from tests.fixtures.processes import process_environment


def import_facts(urls: str, data_dir) -> subprocess.Popen[str]:  # type: ignore[no-untyped-def]
    environment = process_environment(REGIEKAART_NATS_URL=urls, REGIEKAART_NATS_REPLICAS="3")
    return subprocess.Popen(
        [sys.executable, "-m", "entrypoints", "import-facts", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
    )


def test_two_services_starting_together_record_each_governance_fact_once(nats_cluster, tmp_path):
    racing = [import_facts(nats_cluster.urls, tmp_path / f"s{i}") for i in (1, 2)]
    for process in racing:
        output, _ = process.communicate(timeout=300)
        assert process.returncode == 0, output
    last = import_facts(nats_cluster.urls, tmp_path / "s3")
    output, _ = last.communicate(timeout=300)
    assert last.returncode == 0, output
    assert output.splitlines()[-1].startswith("0 recorded"), output
    assert nats_cluster.stream_info("REGIEKAART_EVENTS")["config"]["num_replicas"] == 3
