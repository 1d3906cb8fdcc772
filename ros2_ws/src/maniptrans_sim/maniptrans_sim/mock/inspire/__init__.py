"""Inspire RH56 hand emulator: register map, firmware, Modbus RTU/TCP and native serial."""
