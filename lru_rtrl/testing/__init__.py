"""Test helpers shipped with the library: the brute-force gradient oracle, and for the
download tests a file server on 127.0.0.1 (`http_server`) and tfds's `cifar10` builder
downloading from it (`tfds_local`)."""
