"""Data that arrives by itself, without the internet: a server on 127.0.0.1 started here.

The LRA release is a tiny archive in the release's layout (lru_rtrl.data.testing_files);
tfds's own `cifar10` builder downloads a tiny `cifar-10-binary.tar.gz` from the same kind of
server (lru_rtrl.testing.tfds_local swaps only its URL and registered checksum). The code
under test is the code users run: the command, the tasks' first use, tfds's
download_and_prepare.
"""

import gzip
import hashlib
import io
import os
import time

import numpy as np
import pytest

from lru_rtrl.data import aan, download, fetch, listops, lra_release, network, pathfinder
from lru_rtrl.data import testing_files
from lru_rtrl.data.base import DataError
from lru_rtrl.registry import TASKS
from lru_rtrl.testing import http_server, tfds_local

PATH = "/lra_release.gz"


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """(archive bytes, {member name: bytes}) of a tiny LRA release."""
    path = str(tmp_path_factory.mktemp("release") / "lra_release.gz")
    members = testing_files.write_lra_archive(path)
    with open(path, "rb") as handle:
        return handle.read(), members


def _damaged(data: bytes) -> bytes:
    """The same length, 64 bytes inverted in the middle (inside the deflate stream)."""
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 64]) + data[middle + 64:]


def _files(directory):
    return sorted(os.path.relpath(os.path.join(d, f), directory)
                  for d, _, files in os.walk(directory) for f in files)


def _nothing_looks_complete(data_dir):
    """Only the lock may remain: no archive under its final name, no part, no temporary."""
    left = [f for f in _files(data_dir) if f != ".lra_release.lock"]
    assert left == [], left


def test_the_command_downloads_verifies_and_extracts_only_what_the_loaders_read(
        tmp_path, release, capsys):
    data, members = release
    data_dir = tmp_path / "lra"
    with http_server.serve({PATH: data}, md5=True) as server:
        code = download.main(["lra", f"--data_dir={data_dir}", f"--url={server.url(PATH)}"])
    assert code == 0
    assert "extracted listops-1000, tsv_data, pathfinder32/curv_contour_length_14, " \
           "pathfinder128/curv_contour_length_14" in capsys.readouterr().out
    prefix = "lra_release/lra_release/"
    wanted = sorted(name[len(prefix):] for name in members
                    if not name.endswith("README.unused") and "curv_baseline" not in name)
    assert _files(data_dir) == sorted(
        wanted + [".lra_release.lock", "lra_release.gz", "lra_release.gz.sha256"])
    for name in wanted:  # byte for byte what the archive holds
        assert (data_dir / name).read_bytes() == members[prefix + name]
    assert (data_dir / "lra_release.gz").read_bytes() == data
    recorded = (data_dir / "lra_release.gz.sha256").read_text().split()[0]
    assert recorded == hashlib.sha256(data).hexdigest()


def test_first_use_of_a_task_fetches_its_folder_and_later_ones_reuse_the_archive(
        tmp_path, release, monkeypatch):
    data, _ = release
    data_dir = str(tmp_path / "lra")
    with http_server.serve({PATH: data}) as server:  # no published checksum
        monkeypatch.setenv(lra_release.URL_ENV, server.url(PATH))
        listops = TASKS.get("listops")({"data_dir": data_dir})
        assert listops.num_examples("train") == 24
        pathfinder = TASKS.get("pathfinder")({"data_dir": data_dir, "difficulty": "easy",
                                              "val_fraction": 0.25, "test_fraction": 0.25})
        assert pathfinder.num_examples("train") == 2
        assert len(server.requests) == 1  # the second task read the kept archive
    assert not os.path.exists(os.path.join(data_dir, "tsv_data"))  # aan was not asked for


@pytest.mark.parametrize("published", [True, False], ids=["md5_published", "no_checksum"])
def test_a_damaged_archive_is_one_error_and_nothing_looks_complete(tmp_path, release,
                                                                   published):
    data, _ = release
    data_dir = tmp_path / "lra"
    # The server publishes the real file's MD5 (or nothing) and sends damaged bytes.
    with http_server.serve({PATH: _damaged(data)}, md5=published,
                           published={PATH: data}) as server:
        with pytest.raises(DataError) as error:
            lra_release.ensure(str(data_dir), [listops.release_part()],
                               source=server.url(PATH))
    message = str(error.value)
    assert "\n" not in message and "run again to download it again" in message
    assert ("its MD5 is" in message) if published else ("is damaged" in message)
    _nothing_looks_complete(data_dir)


def test_a_download_cut_in_the_middle_resumes_to_the_same_bytes(tmp_path, release, monkeypatch):
    data, _ = release
    data_dir = tmp_path / "lra"
    part = aan.release_part()
    monkeypatch.setattr(fetch, "RETRY_DELAY", 0.0)
    cut = len(data) // 5
    # Four answers are cut after `cut` bytes: the first call resumes twice, then stops ...
    with http_server.serve({PATH: data}, cut_after=cut, cuts=4) as server:
        url = server.url(PATH)
        with pytest.raises(DataError, match="Run the same command again to resume"):
            lra_release.ensure(str(data_dir), [part], source=url)
        assert os.path.getsize(data_dir / "lra_release.gz.part") == 3 * cut
        assert not (data_dir / "lra_release.gz").exists()
        # ... and the next call asks only for the rest (one more cut, then the end).
        assert lra_release.ensure(str(data_dir), [part], source=url) == ["tsv_data"]
        ranges = [r for _, _, r in server.requests]
    assert ranges == [None, f"bytes={cut}-", f"bytes={2 * cut}-", f"bytes={3 * cut}-",
                      f"bytes={4 * cut}-"]
    assert (data_dir / "lra_release.gz").read_bytes() == data
    assert not (data_dir / "lra_release.gz.part").exists()


def test_a_server_that_is_down_is_one_line_within_seconds(tmp_path, monkeypatch):
    port = http_server.closed_port()
    monkeypatch.setenv(lra_release.URL_ENV, f"http://127.0.0.1:{port}{PATH}")
    task = TASKS.get("aan")({"data_dir": str(tmp_path / "lra")})
    start = time.time()
    with pytest.raises(DataError) as error:
        task.num_examples("train")
    assert time.time() - start < 10
    message = str(error.value)
    assert "\n" not in message and f"127.0.0.1:{port}" in message
    assert "Task 'aan': the LRA data are not in" in message
    assert "python -m lru_rtrl.data.download lra" in message and "download=False" in message
    assert not (tmp_path / "lra").exists()  # nothing created


def test_download_false_keeps_the_strict_message_and_touches_no_network(tmp_path, release,
                                                                          monkeypatch):
    data, _ = release
    with http_server.serve({PATH: data}) as server:
        monkeypatch.setenv(lra_release.URL_ENV, server.url(PATH))
        task = TASKS.get("listops")({"data_dir": str(tmp_path), "download": False})
        with pytest.raises(DataError, match="LRA data not found"):
            task.num_examples("train")
        assert server.requests == []


def test_the_recorded_checksum_finds_later_damage(tmp_path, release):
    data, _ = release
    data_dir = tmp_path / "lra"
    with http_server.serve({PATH: data}) as server:
        lra_release.ensure(str(data_dir), [listops.release_part()],
                           source=server.url(PATH))
    # Another whole, valid release in its place: only the recorded SHA-256 can tell.
    testing_files.write_lra_archive(str(data_dir / "lra_release.gz"), seed=1)
    with pytest.raises(DataError, match="changed since it was verified") as error:
        lra_release.ensure(str(data_dir), [aan.release_part()])
    assert "Delete" in str(error.value)
    assert not (data_dir / "tsv_data").exists()


def test_not_enough_disk_is_found_before_any_byte_is_written(tmp_path, release, monkeypatch):
    data, _ = release
    usage = fetch.shutil.disk_usage(str(tmp_path))
    monkeypatch.setattr(fetch.shutil, "disk_usage",
                        lambda path: usage._replace(free=len(data) // 2))
    with http_server.serve({PATH: data}) as server:
        with pytest.raises(DataError, match="Not enough free disk space"):
            fetch.download(server.url(PATH), str(tmp_path / "x.part"))
    assert not (tmp_path / "x.part").exists()


def test_a_whole_archive_without_a_folder_asked_for_is_kept_unverified(tmp_path, release):
    data, _ = release
    data_dir = tmp_path / "lra"
    missing = pathfinder.release_part("pathfinder64/curv_baseline")
    with http_server.serve({PATH: data}) as server:
        with pytest.raises(DataError, match="holds no complete pathfinder64/curv_baseline/"):
            lra_release.ensure(str(data_dir), [missing], source=server.url(PATH))
        assert not (data_dir / "lra_release.gz").exists()
        assert (data_dir / "lra_release.gz.part").read_bytes() == data
        # Asking for folders it has needs no new download.
        lra_release.ensure(str(data_dir), [listops.release_part()],
                           source=server.url(PATH))
        assert len(server.requests) == 1
    assert (data_dir / "lra_release.gz").read_bytes() == data


def test_the_probe_names_the_host_that_does_not_answer():
    port = http_server.closed_port()
    reason = network.unreachable([f"http://127.0.0.1:{port}/x"], timeout=2)
    assert reason.startswith(f"127.0.0.1:{port}: ")
    with http_server.serve({"/x": b"x"}) as server:
        assert network.unreachable([server.url("/x")], timeout=2) is None


# tensorflow-datasets ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def cifar_archive(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("cifar") / "cifar-10-binary.tar.gz")
    arrays = testing_files.write_cifar10_binary_archive(path, num_train=100, num_test=10)
    with open(path, "rb") as handle:
        return handle.read(), arrays


def test_tfds_offline_is_one_line_within_seconds(tmp_path, cifar_archive):
    data, _ = cifar_archive
    url = f"http://127.0.0.1:{http_server.closed_port()}/cifar-10-binary.tar.gz"
    with tfds_local.cifar10_from(url, data):
        task = TASKS.get("scifar")({"data_dir": str(tmp_path)})
        start = time.time()
        with pytest.raises(DataError) as error:
            task.num_examples("train")
        assert time.time() - start < 10
    message = str(error.value)
    assert "\n" not in message and "'cifar10' is not prepared" in message
    assert "cannot be downloaded from here: 127.0.0.1:" in message
    assert "python -m lru_rtrl.data.download cifar10" in message and "download=False" in message


def test_tfds_download_false_reads_only_what_is_prepared(tmp_path, cifar_archive):
    data, _ = cifar_archive
    with http_server.serve({"/c.tar.gz": data}) as server:
        with tfds_local.cifar10_from(server.url("/c.tar.gz"), data):
            task = TASKS.get("scifar")({"data_dir": str(tmp_path), "download": False})
            with pytest.raises(DataError, match="'cifar10' is not prepared"):
                task.num_examples("train")
        assert server.requests == []


@pytest.mark.slow
def test_tfds_downloads_and_prepares_on_first_use(tmp_path, cifar_archive):
    data, arrays = cifar_archive
    with http_server.serve({"/cifar-10-binary.tar.gz": data}) as server:
        with tfds_local.cifar10_from(server.url("/cifar-10-binary.tar.gz"), data):
            task = TASKS.get("scifar_gray")({"data_dir": str(tmp_path), "normalize": "unit"})
            assert task.num_examples("test") == 10
            again = TASKS.get("scifar")({"data_dir": str(tmp_path)})
            colour = again.examples("test").pixels.reshape(10, -1)
        assert len(server.requests) == 1  # prepared once, then read
    # The same images (tfds stores them in its own order).
    expected = arrays["test_images"].reshape(10, -1)
    assert sorted(map(bytes, colour)) == sorted(map(bytes, expected))


@pytest.mark.slow
def test_tfds_checks_the_download_against_its_registered_checksum(tmp_path, cifar_archive):
    data, _ = cifar_archive
    with http_server.serve({"/c.tar.gz": _damaged(data)}) as server:
        with tfds_local.cifar10_from(server.url("/c.tar.gz"), data):
            with pytest.raises(DataError, match="NonMatchingChecksumError") as error:
                TASKS.get("scifar")({"data_dir": str(tmp_path)}).num_examples("train")
    assert "\n" not in str(error.value)
    assert not os.path.exists(os.path.join(str(tmp_path), "cifar10", "3.0.2"))


@pytest.mark.slow
@pytest.mark.parametrize("task", ["scifar", "listops"])
def test_the_design_card_command_trains_with_no_other_step(task, tmp_path, launcher, release,
                                                           cifar_archive, monkeypatch):
    """`launch/main.py --config=configs/<task>.py` on an empty data_dir: the data arrive
    (from the local server standing in for the internet), then 3 training steps."""
    from repo_helpers import task_config
    config = task_config(task, "smoke")
    config.data.data_dir = str(tmp_path / "data")
    if task == "listops":  # the smoke variant generates; the default reads the release
        config.data.source = "files"
        config.data.generate = TASKS.get("listops").default_config().generate
    config.train.num_steps = 3
    config.train.batch_size = config.train.eval_batch_size = 4
    cifar, _ = cifar_archive
    lra, _ = release
    files = {"/cifar-10-binary.tar.gz": cifar, PATH: lra}
    with http_server.serve(files, md5=True) as server:
        monkeypatch.setenv(lra_release.URL_ENV, server.url(PATH))
        with tfds_local.cifar10_from(server.url("/cifar-10-binary.tar.gz"), cifar):
            summary = launcher.run(config, str(tmp_path / "run"))
    assert summary["step"] == 3
    assert all(np.isfinite(summary["final"][s]["loss"]) for s in config.train.eval_splits)


@pytest.mark.slow
def test_the_command_line_prints_one_error_line(tmp_path):
    import subprocess
    import sys
    from repo_helpers import REPO
    url = f"http://127.0.0.1:{http_server.closed_port()}{PATH}"
    result = subprocess.run(
        [sys.executable, "-m", "lru_rtrl.data.download", "lra", f"--data_dir={tmp_path}",
         f"--url={url}"], cwd=REPO, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, PYTHONPATH=REPO))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: Cannot download " + url), result.stderr


def test_the_tiny_release_is_a_gzipped_tar_in_the_release_layout(release):
    data, members = release
    assert gzip.GzipFile(fileobj=io.BytesIO(data)).read(512)
    assert "lra_release/lra_release/listops-1000/basic_train.tsv" in members
    assert any(m.startswith("lra_release/lra_release/pathfinder128/curv_contour_length_14/imgs/")
               for m in members)


def test_a_copy_on_disk_is_a_source_too(tmp_path, release, monkeypatch):
    data, _ = release
    copy = tmp_path / "shared" / "lra_release.gz"
    copy.parent.mkdir()
    copy.write_bytes(data)
    monkeypatch.setenv(lra_release.URL_ENV, str(copy))  # a plain path; file:// works too
    task = TASKS.get("listops")({"data_dir": str(tmp_path / "lra")})
    assert task.num_examples("test") == 6
    assert (tmp_path / "lra" / "lra_release.gz").read_bytes() == data
