"""``bpdiag batch`` on a real ``distributed.LocalCluster`` (two worker processes on loopback):
the Parquet rows say what ``analyze --json`` says of each file; unreadable files are rows;
a worker killed mid-run loses and duplicates nothing; ``--resume`` skips what is done.

Dask and pyarrow are imported when a test of this module first runs (``_libraries``), not
when it is collected: every xdist worker collects every module, and only the one that runs
this module needs them (0.7 s of CPU to import)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from bpdiag.batch import runner
from bpdiag.batch.runner import run_batch
from bpdiag.cli import main
from tests.conftest import OWN, SHARED, require_shared

if TYPE_CHECKING:
    from distributed import Client, LocalCluster


@pytest.fixture(scope="module", autouse=True)
def _libraries() -> None:
    """Skips the module where the batch extra (Dask's distributed, pyarrow) is missing."""
    pytest.importorskip("distributed")
    pytest.importorskip("pyarrow.parquet")


def _cluster() -> LocalCluster:
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",
        silence_logs=50,
    )


@pytest.fixture(scope="module")
def cluster() -> Any:
    c = _cluster()
    yield c
    c.close()


@pytest.fixture()
def client(cluster: LocalCluster) -> Any:
    from distributed import Client

    with Client(cluster) as cl:
        yield cl


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    """Our scenario captures, some shared ones in a subfolder, a text file, a corrupt one."""
    d = tmp_path / "in"
    (d / "sub").mkdir(parents=True)
    for p in sorted(OWN.glob("*.btsnoop"))[:10]:
        shutil.copy(p, d / p.name)
    if SHARED.is_dir():
        for name in (
            "nordic_secreq_pairfail_unspecified_sweyntooth.pcap",
            "lephdr_legacy_justworks_bsniffhub.pcap",
        ):
            if (SHARED / name).exists():
                shutil.copy(SHARED / name, d / "sub" / name)
    (d / "notes.txt").write_text("the device was in pairing mode this time\n")
    (d / "garbage.btsnoop").write_bytes(b"btsnoop\0\x00\x00\x00\x07" + b"\xff" * 40)
    return d


def table(out: Path, name: str) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    return pq.read_table(out / f"{name}.parquet").to_pylist()


def analyze_json(path: Path) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["analyze", "--json", str(path)])
    return json.loads(result.stdout)


def test_rows_say_what_analyze_json_says(client: Client, corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = run_batch([str(corpus)], str(out), client=client)
    caps = {r["path"]: r for r in table(out, "captures")}
    files = sorted(p for p in corpus.rglob("*") if p.is_file())
    assert sorted(caps) == sorted(os.path.normpath(p) for p in map(str, files))
    assert summary.files == len(files) and summary.analysed_now == len(files)
    pairings = table(out, "pairings")
    findings = table(out, "findings")
    for path in files:
        row = caps[str(path)]
        assert row["size"] == path.stat().st_size
        if row["error"] is not None:
            continue
        doc = analyze_json(path)
        assert row["format"] == doc["capture"]["format"]
        assert row["link_type"] == doc["capture"]["link_type"]
        assert row["records"] == doc["capture"]["records"]
        assert row["pairings"] == len(doc["pairings"])
        conns = {c["id"]: c for c in doc["connections"]}
        mine = sorted(
            (r for r in pairings if r["capture"] == str(path)),
            key=lambda r: (r["connection"], r["pairing"]),
        )
        assert len(mine) == len(doc["pairings"])
        for r, p in zip(mine, doc["pairings"], strict=True):
            assert (r["connection"], r["pairing"]) == (p["connection"], p["id"])
            assert r["outcome"] == p["outcome"] and r["method"] == p["method"]
            assert r["secure_connections"] == p["secure_connections"]
            failure = p["failure"] or {}
            assert r["failure_reason"] == failure.get("reason")
            assert r["failure_sent_by"] == failure.get("sent_by")
            assert r["io_initiator"] == (p["request"] or {}).get("io_capability")
            assert r["io_responder"] == (p["response"] or {}).get("io_capability")
            central = (conns[p["connection"]].get("central") or {}).get("address")
            assert r["central"] == central
            codes = [
                f["code"]
                for f in doc["findings"]
                if f.get("pairing") == p["id"] and f.get("connection") == p["connection"]
            ]
            assert r["findings"] == codes
        got = Counter(f["code"] for f in findings if f["capture"] == str(path))
        assert got == Counter(f["code"] for f in doc["findings"])


def test_unreadable_files_are_rows_not_a_crash(
    client: Client, corpus: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    run_batch([str(corpus)], str(out), client=client)
    caps = {Path(r["path"]).name: r for r in table(out, "captures")}
    assert caps["notes.txt"]["error"] and caps["notes.txt"]["format"] is None
    assert caps["garbage.btsnoop"]["error"]
    assert "\n" not in caps["garbage.btsnoop"]["error"]
    assert all(r["error"] is None for n, r in caps.items() if n.endswith(".pcap"))


def test_no_key_material_in_any_table(client: Client, tmp_path: Path) -> None:
    src = OWN / "legacy_justworks_success.btsnoop"
    out = tmp_path / "out"
    run_batch([str(src)], str(out), client=client)
    dump = CliRunner().invoke(main, ["dump", "--json", "--show-keys", str(src)]).stdout
    keys = [
        v
        for line in dump.splitlines()
        for k, v in json.loads(line).get("fields", {}).items()
        if k in {"ltk", "irk", "csrk"} and isinstance(v, str) and v != "redacted"
    ]
    assert keys, "the capture distributes keys; the test would prove nothing"
    blob = b"".join((out / f"{t}.parquet").read_bytes() for t in runner.TABLES)
    for k in keys:
        assert k.encode() not in blob and bytes.fromhex(k) not in blob


def test_resume_skips_what_is_done(client: Client, corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = run_batch([str(corpus)], str(out), client=client)
    shutil.copy(OWN / "not_in_pairing_mode.btsnoop", corpus / "sub" / "new-one.btsnoop")
    (corpus / "sub" / "changed.txt").write_text("a different text\n")
    again = run_batch([str(corpus)], str(out), client=client, resume=True)
    assert again.analysed_now == 2 and again.skipped == first.files
    paths = [r["path"] for r in table(out, "captures")]
    assert len(paths) == first.files + 2 == len(set(paths))


def test_an_interrupted_batch_continues_with_resume(
    client: Client, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "FLUSH_FILES", 3)
    monkeypatch.setattr(runner, "CHUNK_FILES", 1)
    out = tmp_path / "out"
    n = sum(1 for p in corpus.rglob("*") if p.is_file())

    def stop_half_way(done: int, total: int, failures: int) -> None:
        if done >= total // 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch([str(corpus)], str(out), client=client, progress=stop_half_way)
    parts = list((out / runner.PARTS).glob("captures-*.parquet"))
    assert parts, "rows of finished files were written before the interruption"
    again = run_batch([str(corpus)], str(out), client=client, resume=True)
    assert again.skipped >= 3 and again.analysed_now == n - again.skipped
    paths = [r["path"] for r in table(out, "captures")]
    assert len(paths) == n == len(set(paths))
    assert not (out / runner.PARTS).exists()


def test_cli_on_an_existing_cluster(cluster: LocalCluster, corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["batch", str(corpus), "--out", str(out), "--scheduler", cluster.scheduler_address]
    )
    assert result.exit_code == 0, result.output
    n = sum(1 for p in corpus.rglob("*") if p.is_file())
    assert f"{n} files in {out}" in result.stdout
    assert "not readable as a capture" in result.stdout
    assert "most frequent findings:" in result.stdout


def test_cli_exit_2_when_the_cluster_cannot_be_reached(corpus: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "batch",
            str(corpus),
            "--out",
            str(tmp_path / "o"),
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--timeout",
            "1",
        ],
    )
    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.stderr


def test_cli_exit_2_for_a_path_that_does_not_exist(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["batch", str(tmp_path / "nope"), "--out", str(tmp_path)])
    assert result.exit_code == 2 and "nope: no such file or directory" in result.stderr


def test_globs_and_the_output_folder_inside_the_input(client: Client, corpus: Path) -> None:
    require_shared()  # the corpus's .pcap files are shared captures
    out = corpus / "out"
    run_batch([str(corpus / "**" / "*.pcap"), str(corpus)], str(out), client=client)
    paths = [r["path"] for r in table(out, "captures")]
    assert len(paths) == len(set(paths))
    assert not any("/out/" in p for p in paths)


def test_the_documented_duckdb_query(client: Client, corpus: Path, tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    out = tmp_path / "out"
    run_batch([str(corpus)], str(out), client=client)
    rows = duckdb.sql(
        f"SELECT failure_reason_name, count(*) FROM '{out}/pairings.parquet' "
        "WHERE outcome = 'failed' GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
    failed = [r for r in table(out, "pairings") if r["outcome"] == "failed"]
    assert sum(n for _, n in rows) == len(failed) > 0


def test_a_bug_report_zip_is_one_row_per_hci_log(client: Client, tmp_path: Path) -> None:
    from tests.capture.writers import bugreport_zip

    logs = {
        "FS/data/misc/bluetooth/logs/btsnoop_hci.log": OWN / "not_in_pairing_mode.btsnoop",
        "FS/data/misc/bluetooth/logs/btsnoop_hci.log.last": OWN
        / "legacy_justworks_success.btsnoop",
    }
    d = tmp_path / "reports"
    d.mkdir()
    z = d / "bugreport-phone-2026.zip"
    z.write_bytes(bugreport_zip({name: p.read_bytes() for name, p in logs.items()}))
    out = tmp_path / "out"
    summary = run_batch([str(d)], str(out), client=client)
    caps = {r["path"]: r for r in table(out, "captures")}
    assert sorted(caps) == sorted(f"{z}:{name}" for name in logs)
    assert summary.unreadable == 0 and len({r["sha256"] for r in caps.values()}) == 1
    for name, src in logs.items():
        doc = analyze_json(src)
        mine = [r for r in table(out, "pairings") if r["capture"] == f"{z}:{name}"]
        assert [r["outcome"] for r in mine] == [p["outcome"] for p in doc["pairings"]]
    again = run_batch([str(d)], str(out), client=client, resume=True)
    assert again.skipped == 1 and again.analysed_now == 0 and again.files == 2


# Last in the module: it kills a worker of the module's cluster (its nanny starts another),
# which saves starting a cluster of its own (3 s of a run).
@pytest.mark.slow
def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(
    client: Client, tmp_path: Path
) -> None:
    src = sorted(OWN.glob("*.btsnoop"))
    d = tmp_path / "many"
    d.mkdir()
    for i in range(120):
        shutil.copy(src[i % len(src)], d / f"{i:03}-{src[i % len(src)].name}")
    out = tmp_path / "out"
    pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    killed: list[int] = []

    def kill_one(done: int, total: int, failures: int) -> None:
        if not killed and done >= 4:
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
            time.sleep(0.2)

    runner_chunk = runner.CHUNK_FILES
    try:
        runner.CHUNK_FILES = 2
        summary = run_batch([str(d)], str(out), client=client, progress=kill_one)
    finally:
        runner.CHUNK_FILES = runner_chunk
    assert killed
    paths = [r["path"] for r in table(out, "captures")]
    assert sorted(paths) == sorted(str(p) for p in d.iterdir())
    assert summary.unreadable == 0
    pairings = table(out, "pairings")
    keys = [(r["capture"], r["connection"], r["pairing"]) for r in pairings]
    assert len(keys) == len(set(keys))
