"""ManipTrans' two learning stages on top of rsl-rl-lib's PPO.

* :mod:`.config` — frozen dataclass configs with the paper's hyper-parameters as defaults.
* :mod:`.vec_env` — the VecEnv contract the learners consume (rsl-rl's, TensorDict observations).
* :mod:`.point_mass` — a tiny tracking task behind that contract, for tests and smoke runs.
* :mod:`.ppo` — PPO wiring (models, storage, algorithm from rsl-rl) and our training loop.
* :mod:`.checkpoint` — weights-only checkpoints: config as JSON, weights and normaliser as tensors.
* :mod:`.residual` — residual composition ``a = clip(a_base + scale·Δa)`` around a frozen base.
"""
