"""Trajectory player, transferred-task files, MuJoCo twin and the sim-mocked bridge.

The bridge: RealMan controller emulators on TCP and Inspire hand emulators on ptys.
"""
