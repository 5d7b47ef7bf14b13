"""Claim definitions: importing this package registers them all, the paper's in paper order, then
any other module of the package (a new claim needs no line here)."""

import importlib
import pkgutil

from . import linear, single_layer, dynamics, deep, deep_super, deep_training, fig11, two_layer, conv, conv_training, appg  # noqa: F401
from . import conv_nonlinear, fig5, conv_init, construction  # noqa: F401  (paper order)

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
