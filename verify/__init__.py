"""memverify: numerics-first verification of 'Memorization in Overparameterized Autoencoders'.

Python API::

    import verify
    report = verify.run(["linear-min-norm"], profile="quick", seed=0)
    report.ok, [e.verdict for e in report.evidence]
"""

from .evidence import FAILS, HOLDS, NOT_MET, Comparison, Evidence, Measurement, Tolerance
from .registry import Claim, all_claims, get, register
from .runner import Report, run

__all__ = [
    "FAILS", "HOLDS", "NOT_MET", "Claim", "Comparison", "Evidence", "Measurement", "Report", "Tolerance",
    "all_claims", "get", "register", "run",
]
