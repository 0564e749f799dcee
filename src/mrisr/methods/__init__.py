"""SR methods behind one registry: baselines, ELRTV, LIIF checkpoints.

Importing this package registers every method (:mod:`mrisr.methods.catalog`
imports the providers); the factories import torch lazily.
"""

from __future__ import annotations

from mrisr.methods.base import METHODS, Method
from mrisr.methods.catalog import (
           available_methods,
           default_method,
           device_params,
           make_method,
           method_info,
)
from mrisr.methods.inputcheck import InputMismatchWarning, check_input, input_mismatch
from mrisr.methods.spec import MethodInfo, MethodSpec, parse_spec

__all__ = ["METHODS", "InputMismatchWarning", "Method", "MethodInfo", "MethodSpec", "available_methods",
           "check_input", "default_method", "device_params", "input_mismatch", "make_method", "method_info", "parse_spec"]
