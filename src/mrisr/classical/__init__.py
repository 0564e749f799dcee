"""Classical super-resolution: ELRTV (low-rank + TV regularised inversion).

- :func:`elrtv` solves ``min 1/2 ||D X + b - Y||^2 + lam_rank ||X||_* + lam_tv TV(X)``
  by ADMM for a separable degradation operator ``D``
  (:mod:`mrisr.classical.operators`).
- :func:`estimate_kernel` fits ``D`` (a separable blur kernel + decimation) to
  HR/LR training pairs by least squares.
- :mod:`mrisr.classical.method` registers the ``elrtv`` method with tuned
  presets per scale; :mod:`mrisr.classical.tune` makes those presets (Optuna).

The method module is imported by :mod:`mrisr.methods` on demand; importing this
package does not import Optuna or torch.
"""

from mrisr.classical.elrtv import ELRTVConfig, ELRTVResult, back_project, elrtv
from mrisr.classical.kernel import KernelEstimate, estimate_kernel
from mrisr.classical.operators import SeparableOperator, make_operator

__all__ = [
    "ELRTVConfig",
    "ELRTVResult",
    "KernelEstimate",
    "SeparableOperator",
    "back_project",
    "elrtv",
    "estimate_kernel",
    "make_operator",
]
