"""Robot models generated from parameter tables: URDF, MJCF and a Python API.

RealMan RM75 arms, Inspire RH56 hands (sim 12-joint and real 6-actuator), the bimanual rig.

Modules: ``rm75`` (arm tables), ``inspire`` (hand tables, names, mimics, actuator mapping,
calibration), ``rig`` (rig calibration), ``paths`` (where models and config live), ``loaders``
(Pinocchio and MuJoCo), ``generate`` (``make models``). One root exception:
``errors.DescriptionError``.
"""
