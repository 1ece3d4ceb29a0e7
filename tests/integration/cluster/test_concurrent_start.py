"""Two service processes starting at once against one cluster both come up, and the governance facts
are recorded once between them: the stream holds exactly what one import alone records."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from adapters.settings import Settings
from services.runtime import Runtime


def start_and_import(urls: str, data_dir) -> int:  # type: ignore[no-untyped-def]
    with Runtime(Settings(data_dir=data_dir, nats_url=urls, nats_replicas=3)) as runtime:
        return runtime.import_facts().total_recorded


def test_two_services_starting_together_record_each_governance_fact_once(nats_cluster, tmp_path):
    with ThreadPoolExecutor(2) as pool:
        racing = [pool.submit(start_and_import, nats_cluster.urls, tmp_path / f"s{i}") for i in (1, 2)]
        recorded = [future.result() for future in racing]
    assert start_and_import(nats_cluster.urls, tmp_path / "s3") == 0, "everything is there already"
    info = nats_cluster.stream_info("REGIEKAART_EVENTS")
    assert info["config"]["num_replicas"] == 3
    assert sum(recorded) > 0
