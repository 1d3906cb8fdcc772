"""Replay launch, parameter files, rig calibration, bag recording and the replay report.

ManipTrans transferred tasks on two RM75 arms with Inspire RH56 hands.
"""
