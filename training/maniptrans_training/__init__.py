"""ManipTrans in MuJoCo: the producer of transferred tasks.

Transferred task = 12-DoF Inspire trajectories at 60 Hz, in the DexManipNet layout.
"""
