"""12-to-6 Inspire hand retargeting and Pinocchio RM75 arm IK, with their nodes.

Hand: fingertip alignment + temporal smoothness. Arm: flange where the sim wrist was.
"""
