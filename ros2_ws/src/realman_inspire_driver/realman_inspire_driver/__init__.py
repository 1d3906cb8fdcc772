"""Drivers for RealMan RM75 arms and Inspire RH56 hands, with a safety layer.

Arms: JSON over TCP. Hands: Modbus RTU (RS485), Modbus TCP, or the native serial protocol.
"""
