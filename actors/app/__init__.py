"""The ``love-actors`` command line. Nothing imports it but its entry point and tests."""
