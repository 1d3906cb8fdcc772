"""RealMan arm controller emulator: rules (`controller`), JSON over TCP and UDP push (`server`)."""
