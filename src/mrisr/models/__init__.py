"""Neural SR models: EDSR-baseline encoder, LIIF decoder, SMAM attention, EEM edges.

All models are plain ``nn.Module``s built from a spec ``{"name": ..., "args": {...}}``
through :data:`MODELS` (:func:`make_model`).
"""

from mrisr.models.registry import MODELS, make_model

# Explicit registration imports.
from mrisr.models import edsr as _edsr  # noqa: E402,F401  isort:skip
from mrisr.models import liif as _liif  # noqa: E402,F401  isort:skip

__all__ = ["MODELS", "make_model"]
