"""Every sentence a user or a lawyer reads in an explanation, in one file.

The fitting and the precedence code decide; this module only says what they decided, from
the facts they pass in (names of regions and core atoms, clause labels, group SMILES).
Explanations are contract output: a change of wording here changes every golden file, on
purpose or not at all.

Names of groups come from ``vocabulary/group-names.yaml``; a group it does not list is
shown by its SMILES, which is always exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

# The tables that name groups: the region's own table first, then these, in this order.
_FALLBACK_TABLES = ("substituent", "ring", "acyl", "n1")


@lru_cache(maxsize=1)
def _group_names() -> dict[str, dict[str, str]]:
    # The table's loaders (RDKit, YAML, importlib.resources) are imported here rather than
    # at the top: _findings imports this module for its sentences, and stays light.
    from importlib import resources

    import yaml

    from classwide._vocabulary import canonical_fragment

    text = (resources.files("classwide") / "vocabulary" / "group-names.yaml").read_text()
    tables = yaml.safe_load(text)
    return {
        table: {canonical_fragment(smiles): name for name, smiles in entries.items()}
        for table, entries in tables.items()
    }


def name_group(smiles: str, table: str) -> str:
    """Name a group given as canonical SMILES with '*', or return the SMILES itself.

    Args:
        smiles: the group's canonical SMILES, '*' for the atom it hangs off.
        table: the table of ``group-names.yaml`` to look in first.

    Returns:
        The group's name, or its SMILES when no table names it.
    """
    names = _group_names()
    for key in (table, *_FALLBACK_TABLES):
        if smiles in names.get(key, {}):
            return names[key][smiles]
    return smiles


def describe_substituent(smiles: str, kinds: Sequence[str]) -> str:
    """Say what a substituent is: its name or SMILES, with the kind a law would call it.

    Args:
        smiles: the group's canonical SMILES, '*' for the atom it hangs off.
        kinds: the substituent kinds that describe it, in naming order.

    Returns:
        For example "methyl (alkyl)", or "alkyl group *CCCCCCCCC" when no table names it.
    """
    named = name_group(smiles, "substituent")
    if named != smiles:
        if kinds and kinds[0] not in named:
            return f"{named} ({kinds[0]})"
        return named
    if kinds:
        from classwide._vocabulary import KIND_NOUNS  # see _group_names for why it is here

        return f"{KIND_NOUNS[kinds[0]]} {smiles}"
    return f"group {smiles}"


# --- the core ---------------------------------------------------------------------------


def extra_core_bond(first_atom: str, second_atom: str) -> str:
    """A bond between two core atoms that the reference does not have."""
    return f"an extra bond joins {first_atom} and {second_atom} (a bridged core)"


def ring_closed_onto_core(atoms: Sequence[str]) -> str:
    """A ring bonded to the core more than once, where no region expects one."""
    return (
        f"a ring is closed onto the core at {', '.join(atoms)}: fused, bridged or spiro "
        "rings are not among the allowed modifications"
    )


def group_on_core(substituent: str, atom: str) -> str:
    """A group on a core atom that no region takes."""
    return f"{substituent} on {atom}: not a change any clause allows"


# --- the regions ------------------------------------------------------------------------


def _place(region: str, atom: str | None) -> str:
    return f"the {region}" if atom is None else f"the {region} at {atom}"


def substituent_allowed(
    substituent: str, region: str, atom: str | None, labels: Sequence[str]
) -> str:
    """A substituent that the clauses ``labels`` allow on a region (at a core atom).

    Args:
        substituent: what the substituent is (see ``describe_substituent``).
        region: the region's name.
        atom: the core atom it is on, or None for a substituent on the region's skeleton.
        labels: the clauses that allow it.

    Returns:
        For example "methyl (alkyl) on the piperidine ring at C3 (C)".
    """
    return f"{substituent} on {_place(region, atom)} ({', '.join(labels)})"


def substituent_not_allowed(
    substituent: str, region: str, atom: str | None, tried: Sequence[str]
) -> str:
    """A substituent on a region that none of the clauses ``tried`` allows."""
    why = (
        f"not among the listed substituents ({', '.join(tried)})"
        if tried
        else "no clause allows a substituent there"
    )
    return f"{substituent} on {_place(region, atom)}: {why}"


def region_removed(reference: str) -> str:
    """A region of the reference structure left as hydrogen, which no clause allows."""
    return f"{reference} removed (hydrogen in its place): no clause allows it"


def replacement_allowed(
    name: str, label: str, *, region: str, reference: str, closes_ring: bool
) -> str:
    """A region replaced by a group that clause ``label`` allows.

    Args:
        name: the group found (see ``name_group``).
        label: the clause that allows it.
        region: the region's name.
        reference: the name of the reference's group there.
        closes_ring: the region is a ring closed onto the core, which reads as what it is
            rather than as a replacement.

    Returns:
        For example "N-propionyl group replaced by acetyl (E)".
    """
    if closes_ring:
        return f"{region}: {name} ({label})"
    return f"{reference} replaced by {name} ({label})"


def replacement_not_allowed(
    reference: str,
    name: str,
    not_covered: Sequence[tuple[str, str]],
    skeleton_lost: str,
    tried: Sequence[str],
) -> str:
    """A region replaced by a group that no clause allows, with the reasons the file gives.

    Args:
        reference: the name of the reference's group there.
        name: the group found (see ``name_group``).
        not_covered: (sentence, clause label) for each replacing clause that says what it
            does not cover.
        skeleton_lost: the region's sentence for a group that loses its skeleton, if any.
        tried: the clauses tried on the region.

    Returns:
        For example "phenethyl group replaced by benzyl: the two-carbon linker of the
        phenethyl group is not kept (A, B)".
    """
    reasons = [f"{text} ({label})" for text, label in not_covered]
    if skeleton_lost:
        reasons.append(f"{skeleton_lost} ({', '.join(tried) if tried else 'no clause'})")
    why = "; ".join(reasons) if reasons else "no clause allows it"
    return f"{reference} replaced by {name}: {why}"


def ring_fused_to(ring: str, region: str) -> str:
    """A ring fused to a region's skeleton, given as SMILES."""
    return f"a ring ({ring}) is fused to the {region}: a fused ring system is not a substituent"


# --- a whole fit, and the decision ------------------------------------------------------


def fit_explanation(
    differences: Sequence[str], modifications: Sequence[str], reference_is_member: bool
) -> str:
    """One line naming each modification, or why the structure is outside.

    Args:
        differences: the sentences of the changes no clause allows.
        modifications: the sentences of the changes the clauses allow.
        reference_is_member: the definition takes in the reference structure itself.

    Returns:
        The differences when there are any, else the modifications.
    """
    if differences:
        return "; ".join(differences)
    if not modifications and reference_is_member:
        return "the parent compound of the family itself"
    return "; ".join(modifications)


def also_fits(explanation: str, labels: Sequence[str]) -> str:
    """Add the clauses that explain the same change another way (clause A or clause B)."""
    return f"{explanation}; the same change also fits clause {', '.join(labels)}"


def reference_not_member(reference: str) -> str:
    """Why the unchanged reference structure is outside a class that needs a change."""
    return (
        f"no modification of {reference}: the reference structure itself "
        "is not a member of the class"
    )


def listing(
    *,
    name: str,
    rule: str,
    since: str,
    since_exact: bool,
    schedule: str | None,
    list_name: str | None,
    citation: str,
    category: str | None = None,
    code: str | None = None,
    narcotic: bool | None = None,
    stereo: str = "any",
    relation: str | None = None,
) -> str:
    """What list names a substance, and since when.

    Args:
        name: the substance's name in the list.
        rule: the list's rule id.
        since: the date (ISO) from which the listing is known.
        since_exact: False when the listing may be older than ``since``.
        schedule: the schedule that names it, if any.
        list_name: the list's name, when there is no schedule.
        citation: the instrument, when there is neither.
        category: the jurisdiction's own words for the category, when the list gives them.
        code: the law's code for the substance (a DEA code number).
        narcotic: the US narcotic flag, when the list gives it.
        stereo: "as-drawn" when only the named stereoisomer is listed; "unspecified" for
            a racemate; "unresolved" when the input gives no stereo for such a listing.
        relation: for an ester or ether of a listed substance, "ester of morphine".

    Returns:
        For example "piperidine: named in 21 CFR 1310.02(a) (US-LIST-I) since 2022-01-01
        or earlier", or "pethidine: Schedule II, opiates, narcotic, DEA 9230 (US-CSA-II)
        since 1971-05-01 or earlier".
    """
    when = since if since_exact else f"{since} or earlier"
    if relation:
        name = f"{relation}, covered by the listing of {name}"
    if category:
        details = [category]
        if narcotic is not None:
            details.append("narcotic" if narcotic else "non-narcotic")
        if code:
            details.append(f"DEA {code}" if rule.startswith("US-") else f"code {code}")
        what = ", ".join(details)
        isomer = "; this stereoisomer only" if stereo == "as-drawn" else ""
        isomer = "; stereo not specified (the racemate)" if stereo == "unspecified" else isomer
        if stereo == "unresolved":
            isomer = "; the input gives no stereo: listed if it is the stereoisomer named"
        return f"{name}: {what} ({rule}{isomer}) since {when}"
    where = f"Schedule {schedule}" if schedule else (list_name or citation)
    return f"{name}: named in {where} ({rule}) since {when}"
