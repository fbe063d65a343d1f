"""tensorflow-datasets' own `cifar10` builder, downloading from a local server, for tests.

    with tfds_local.cifar10_from(server.url("/cifar-10-binary.tar.gz"), archive_bytes):
        task = TASKS.get("scifar")({"data_dir": tmp})     # downloads and prepares on first use

Inside the block, tfds's registry maps the name `cifar10` to a subclass of tfds's `Cifar10`
that differs in two things only: the URL it downloads (`_cifar_info.url`) and the size and
SHA-256 tfds registers for that URL (`url_infos`, which tfds checks the download against and
the loader probes the host of). Everything else — `tfds.builder("cifar10")`,
`download_and_prepare`, the download manager, the extraction, tfds's parsing of the binary
batches, the prepared files, `as_dataset` — is the code users run. The registry entry is
restored when the block ends.
"""

from __future__ import annotations

import contextlib
import hashlib
from typing import Iterator


@contextlib.contextmanager
def cifar10_from(url: str, published: bytes) -> Iterator[type]:
    """tfds `cifar10` downloads `url`, whose registered size and SHA-256 are `published`'s.

    Yields the builder class."""
    # pylint: disable=import-outside-toplevel,protected-access
    import tensorflow_datasets as tfds
    from tensorflow_datasets.core import registered
    from tensorflow_datasets.core import utils as tfds_utils
    from tensorflow_datasets.core.download import checksums
    from tensorflow_datasets.image_classification import cifar

    info = checksums.UrlInfo(size=tfds_utils.Size(len(published)),
                             checksum=hashlib.sha256(published).hexdigest(),
                             filename=url.rsplit("/", 1)[-1])
    with registered.skip_registration():
        class LocalCifar10(cifar.Cifar10):
            """tfds's Cifar10 with another source URL."""
            name = "cifar10"
            url_infos = {url: info}

            @property
            def _cifar_info(self):
                return super()._cifar_info._replace(url=url)  # a namedtuple

    original = registered._DATASET_REGISTRY.get("cifar10")
    if original is None:
        tfds.builder_cls("cifar10")  # imports the legacy builders
        original = registered._DATASET_REGISTRY["cifar10"]
    registered._DATASET_REGISTRY["cifar10"] = LocalCifar10
    try:
        yield LocalCifar10
    finally:
        registered._DATASET_REGISTRY["cifar10"] = original
