"""classwide: decide from a structure whether a drug law written as a class covers it.

>>> from classwide import classify
>>> record = classify("CC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1.Cl", jurisdictions="US,CN")
>>> [(v.jurisdiction, v.status.value) for v in record.jurisdictions]
[('US', 'listed'), ('CN', 'listed')]
>>> record.verdict("US").class_matches()[0].reason
'listed in another schedule'

"""

from classwide._api import classify, classify_record
from classwide._findings import (
    Classification,
    ClassMatch,
    Difference,
    JurisdictionVerdict,
    ListedMatch,
    Modification,
    NearMiss,
    ReviewNote,
    Status,
    Verdict,
)
from classwide._limits import Limits
from classwide._lists import Substance
from classwide._rules import RuleSet, load_rules
from classwide._standardize import parse_structure, standardize
from classwide.errors import (
    ClasswideError,
    InputError,
    LimitExceeded,
    ParseError,
    RuleFileError,
    UnknownRuleError,
    UnsupportedFormatError,
)
from classwide.io import read_records

__all__ = [
    "ClassMatch",
    "Classification",
    "ClasswideError",
    "Difference",
    "InputError",
    "JurisdictionVerdict",
    "LimitExceeded",
    "Limits",
    "ListedMatch",
    "Modification",
    "NearMiss",
    "ParseError",
    "ReviewNote",
    "RuleFileError",
    "RuleSet",
    "Status",
    "Substance",
    "UnknownRuleError",
    "UnsupportedFormatError",
    "Verdict",
    "classify",
    "classify_record",
    "load_rules",
    "parse_structure",
    "read_records",
    "standardize",
]
__version__ = "0.1.0"

# The public names say `classwide.X` in reprs and tracebacks, not the private module.
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("classwide."):
        _obj.__module__ = "classwide"
del _name, _obj
