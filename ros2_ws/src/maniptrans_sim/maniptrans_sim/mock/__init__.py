"""The sim-mocked bridge: the rig's devices emulated behind their real wire protocols.

Layout (one concern per module):

- ``rig_model``: the physical model interface every emulator drives (`RigModel`), and a
  first-order joint model (`FirstOrderRig`) that needs no MuJoCo model;
- ``twin``: the MuJoCo twin of the rig behind the same interface;
- ``runner``: the one thread that steps the model (real time, or ``speed`` times faster) and
  calls each device's control step;
- ``realman``: the RealMan controller (rules in ``realman.controller``, JSON over TCP and UDP
  push in ``realman.server``);
- ``inspire``: the Inspire hand (register map, device logic, Modbus RTU on a pty through
  pymodbus's server, the native serial protocol, Modbus TCP);
- ``faults``: fault injection and the time-stamped fault log;
- ``rig``: everything assembled (`MockRig`); ``mock_rig`` is the command-line entry point and
  ``mock_rig_node`` the ROS node that publishes the twin's ground truth.

The mock shares no code with the drivers' codecs: the device side is implemented here on its own.
"""
