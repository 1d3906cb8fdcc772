"""Byte-level codecs: Modbus RTU/TCP, the Inspire native protocol, RealMan JSON. Pure, no I/O."""
