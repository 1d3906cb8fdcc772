"""The ManipTrans MuJoCo environment: scene, reference, rewards, terminations, curricula.

``ManipTransEnv`` (mujoco_env.py) implements the learners' contract
``maniptrans_training.rl.vec_env.VecEnv`` on CPU MuJoCo.
"""

from maniptrans_training.env.mujoco_env import EnvConfig, ManipTransEnv, TrackerGains
from maniptrans_training.env.reference import Reference, build_reference
from maniptrans_training.env.scene import SceneConfig

__all__ = [
    "EnvConfig",
    "ManipTransEnv",
    "Reference",
    "SceneConfig",
    "TrackerGains",
    "build_reference",
]
