"""ros2 launch maniptrans_bringup replay.launch.py task:=<path> mock:=true|false record:=true
rate:=1.0 calibration:=<rig yaml>

The whole replay graph (player, hand_retarget ×2, arm_ik ×2, realman_driver ×2,
inspire_driver ×2, bag_recorder, robot_state_publisher, and mock_rig with mock:=true), built
from the node specs in maniptrans_bringup.specs, the same ones `maniptrans-replay` runs.
"""

from maniptrans_bringup.launch_graph import generate_replay_launch_description


def generate_launch_description():
    return generate_replay_launch_description()
