"""Robot models generated from parameter tables: URDF, MJCF and a Python API.

RealMan RM75 arms, Inspire RH56 hands (sim 12-joint and real 6-actuator), the bimanual rig.
"""
