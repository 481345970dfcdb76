"""bpdiag: tells you why Bluetooth LE pairing failed, from a capture."""

__version__ = "0.1.0"
