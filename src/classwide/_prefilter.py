"""A prefilter derived from the rule files: prove cheaply that no rule can apply.

Most catalogue compounds are nowhere near a fentanyl. Before the full standardise-and-decide
path, a SMILES record is read without sanitisation (a fraction of RDKit's full parse) and
tested against necessary conditions, all computed from the loaded rule files:

* **Scaffolds.** A class or family match needs the scaffold's core in the parent, and the
  parent is one fragment of the input. Each core is made *generic*: elements only, any
  bond, no ring, charge or hydrogen primitives. An atom that must be aliphatic keeps that
  demand only as "not written aromatic": an atom written in lower case always ends up
  aromatic or double-bonded, which the strict patterns (single bonds, ``!a``) exclude
  anyway. Each core atom keeps the heavy-atom degree that every *member* has there (the
  core's bonds, plus a group in each region the reference fills; see ``_member_degrees``):
  a fentanyl member's anilide nitrogen has exactly three heavy neighbours. A generic
  pattern matches every member, in kekulé or aromatic form, as a salt or charged. One bond
  keeps its order: a carbonyl on a carbon that must be written non-aromatic is written
  C=O, or its oxygen is charged (``_carbonyls``). The ring through each core's nitrogen
  (the piperidine, the imidazole) is asked first, on its own (a *gate*), and only the
  patterns behind the gates that matched are asked next. Gates that share a small ring
  (the azole ring of indoles, indazoles and benzimidazoles) stand behind it, asked once.
* **Formula.** Each gate, pattern and listed parent needs some atoms of each element and
  some rings: a fragment whose heavy formula and ring count fall short is not searched
  for it (``_plan``, one look-up per formula).
* **Lists.** A listing matches when the parent equals a listed substance. The parent is one
  fragment of the input with its heavy atoms unchanged by standardisation (only hydrogens,
  charges and bonds to metals change), so a record none of whose fragments has the heavy
  formula, heavy-atom count, bond count and graph of a listed substance cannot be listed.
  Records with a metal are not judged here.

A record that passes any condition, or that this quick reading cannot settle (a syntax
or valence error, a metal, a dummy atom), goes to the full path. The
prefilter never decides that a record is controlled: it proves that no rule matches it,
applying or not, and that no named reading would make one match. Near-miss diagnostics
are not part of that proof; with the prefilter they are reported for the records that
reach the full path. Nor is kekulisation: an aromatic system that RDKit cannot kekulise
is an error on the full path, but a record out of scope is settled before that check.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

import numpy
from rdkit import Chem, rdBase
from rdkit.Chem import FilterCatalog
from rdkit.Chem.rdMolDescriptors import CalcMolFormula

from classwide import _cache
from classwide._definitions import ClassRule, Clause, Scaffold
from classwide._derivatives import MAX_ADDED_ATOMS, derivative_query
from classwide._limits import DEFAULT_LIMITS, Limits
from classwide._rules import RuleSet
from classwide._vocabulary import (
    BONDED_THROUGH,
    catalog_entry,
    query_catalog,
    root_degree_at_least,
    root_degree_at_most,
    root_neighbours,
)

# Elements that standardisation never strips or disconnects (the organic set and halogens).
_ORGANIC_SYMBOLS = frozenset({"B", "C", "N", "O", "F", "Si", "P", "S", "Cl", "Se", "Br", "I"})
_TYPE = re.compile(r"AtomType (\d+) = val")
_HYDROGEN_AND_CHARGE = re.compile(r"H\d*(?=[A-Z]|$)|[+-]\d*$")
_SYMBOL = re.compile(r"[A-Z][a-z]?")
_SPACE = re.compile(r"\s")
# A hydrogen written as an atom ([2H], [H], [D]): RDKit's heavy degree counts isotopic
# hydrogens, and the full path removes them (isotope labels cleared first); the
# prefilter removes them too, or leaves the record to the full path where one stays.
_HYDROGEN_ATOM = re.compile(r"\[\d*[HDT](?![a-z])")


def heavy_formula(mol: Chem.Mol) -> str:
    """The formula without hydrogens and charge: what standardisation cannot change.

    >>> heavy_formula(Chem.MolFromSmiles("CC[NH+](C)C"))
    'C4N'
    """
    return _without_hydrogen_and_charge(CalcMolFormula(mol))


@lru_cache(maxsize=50_000)
def _without_hydrogen_and_charge(formula: str) -> str:
    """A formula's heavy part (catalogue records repeat formulas: cached)."""
    return _HYDROGEN_AND_CHARGE.sub("", formula)


_COUNT = re.compile(r"([A-Z][a-z]?)(\d*)")
_ELEMENTS = ("C", "N", "O", "S", "P", "F", "Cl", "Br", "I", "B", "Si", "Se")
_CACHE_SIZE = 20_000
_CATALOGS = 2_000
# An oxygen between two carbons. No ring test: the record's rings are not found before this
# test, and finding them (about 7 us) costs more than the searches a ring test would save.
_ESTER_OR_ETHER_OXYGEN = Chem.MolFromSmarts("[#8;D2](~[#6])~[#6]")
# Small patterns asked before the gates that hold them, so that those gates are asked only
# of the records that hold one (``_fronts``): a five-membered ring with a nitrogen of three
# heavy neighbours and two neighbouring sp2 carbons, the azole ring of the indoles,
# indazoles, benzimidazoles and carbazoles (about one MOSES record in six has one).
_FRONTS = ("[#7&d3]1~*~*~[#6&X3]~[#6&X3]~1",)


@lru_cache(maxsize=_CACHE_SIZE)
def _organic(formula: str) -> bool:
    """Every element of a heavy formula is one the prefilter reads (no metal).

    >>> _organic("C17NO3"), _organic("C2NaO2")
    (True, False)
    """
    return set(_SYMBOL.findall(formula)) <= _ORGANIC_SYMBOLS


def _element_counts(formula: str) -> dict[str, int]:
    """Element counts of a formula.

    >>> _element_counts("C17NO3")
    {'C': 17, 'N': 1, 'O': 3}
    """
    return {e: int(n or 1) for e, n in _COUNT.findall(formula)}


def _graph_smarts(mol: Chem.Mol) -> str:
    """A canonical SMARTS of the heavy-atom graph: elements and connectivity, any bond.

    >>> _graph_smarts(Chem.MolFromSmiles("c1ccccc1O"))
    '[#8]~[#6]1~[#6]~[#6]~[#6]~[#6]~[#6]~1'
    """
    return Chem.MolFragmentToSmiles(
        mol,
        atomsToUse=list(range(mol.GetNumAtoms())),
        atomSymbols=[f"[#{a.GetAtomicNum()}]" for a in mol.GetAtoms()],
        bondSymbols=["~"] * mol.GetNumBonds(),
        allBondsExplicit=True,
        isomericSmiles=False,
    )


def _rings(mol: Chem.Mol) -> int:
    """Bonds - atoms + 1: the rings of a connected graph (a molecule, a fragment, a query).

    A structure holding a graph has at least as many. Needs no ring perception.
    """
    return mol.GetNumBonds() - mol.GetNumAtoms() + 1


def _least_content(query: Chem.Mol) -> tuple[int, ...]:
    """What every match of a generic query holds: element counts (``_ELEMENTS``), rings.

    An atom counts for an element when its tests name that one element; the rings are the
    query graph's (``_rings``).

    >>> _least_content(Chem.MolFromSmarts("[#7;d3]1~[d2]~[#6&X3]~[#6]~[#6]~1"))[:3]
    (3, 1, 0)
    """
    counts = Counter[str]()
    table = Chem.GetPeriodicTable()
    for atom in query.GetAtoms():
        for term in _atom_terms(atom.GetSmarts()) or ():
            if re.fullmatch(r"#\d+", term):
                counts[table.GetElementSymbol(int(term[1:]))] += 1
    return (*(counts[e] for e in _ELEMENTS), _rings(query))


def _member_degrees(scaffold: Scaffold) -> dict[int, tuple[int, int | None]]:
    """Heavy-atom degree bounds that every member has at each core atom (by query index).

    A member keeps the core's bonds, has a group in every region that the reference has one
    in (no clause allows hydrogen in place of a group), and may have one more group per
    optional region; an atom that a many-group region hangs off has no upper bound. The
    heavy-atom graph is what standardisation leaves alone, so these bounds hold on the raw
    input too.
    """
    index = scaffold.query_index
    bounds: dict[int, tuple[int, int | None]] = {}
    for map_number, q in index.items():
        atom = scaffold.core.GetAtomWithIdx(q)
        low = high = atom.GetDegree()
        unbounded = False
        for region in scaffold.regions:
            if map_number not in region.from_atoms:
                continue
            if region.take == "one":
                high += 1
                if region.reference is not None:
                    low += 1
            else:
                unbounded = True
        bounds[q] = (low, None if unbounded else high)
    return bounds


@dataclass(frozen=True)
class _Bonding:
    """One way a region's group is bonded to its core atom: what its first atom is."""

    elements: frozenset[int] | None  # None: any element
    degree: int  # at least this many heavy neighbours, the core atom included
    most: int | None = None  # at most this many; None: no bound
    # what it has besides the anchor, one of them (``_vocabulary.root_neighbours``)
    neighbours: tuple[str, ...] = ()

    def conjuncts(self, anchor: _Anchor | None) -> list[str]:
        """This bonding as SMARTS conjunctions ('&'), any one of which the atom passes.

        Without an ``anchor``, what the atom has beside it is not asked.
        """
        elements = [f"#{e}" for e in sorted(self.elements)] if self.elements else [""]
        if self.most is not None:
            degrees = [f"d{k}" for k in range(self.degree, self.most + 1)]
        else:
            degrees = ["&".join(f"!d{k}" for k in range(1, self.degree))]
        tests = [anchor.besides(n) for n in self.neighbours] if anchor else []
        tests = tests or [""]
        return [
            "&".join(term for term in (e, d, t) if term)
            for e in elements
            for d in degrees
            for t in tests
        ]


@dataclass(frozen=True)
class _Anchor:
    """What is certain of the core atom a region hangs off, in every member."""

    carbon: bool | None  # True: a carbon; False: another element; None: not certain
    in_ring: bool  # True: a ring atom in every member (the core's rings are kept)

    def besides(self, neighbour: str) -> str:
        """A SMARTS test: the atom has such a neighbour other than this anchor.

        Where the anchor could itself be that neighbour and is not certainly so, the
        test asks for one neighbour only: weaker, never wrong. "R" needs ring
        information, which the prefilter finds before it asks these patterns.
        """
        if neighbour not in _NEIGHBOUR_TESTS:
            raise ValueError(f"no SMARTS test for the neighbour fact {neighbour!r}")
        certain, when_certain, otherwise = _NEIGHBOUR_TESTS[neighbour]
        return when_certain if getattr(self, certain) else otherwise


# Each word of ``_vocabulary.root_neighbours`` as SMARTS on the group's first atom: the
# anchor fact it depends on, the test when the anchor certainly has it (so that the
# anchor itself is counted), and the test otherwise. "@" is a ring bond.
_KEPT = "[#6;!$(*@[!#6])]"  # a carbon in no ring with another element
_OXO = "[#8;D1]"  # a carbonyl oxygen, however the bond is written
_NEIGHBOUR_TESTS: dict[str, tuple[str, str, str]] = {
    "in_ring": ("in_ring", "R", "R"),
    "carbon": ("carbon", "$(*(~[#6])~[#6])", "$(*~[#6])"),
    "hydrocarbon": ("carbon", f"$(*(~[#6])~{_KEPT})", f"$(*~{_KEPT})"),
    "chain": ("carbon", f"$(*~{_KEPT}~[#6])", f"$(*~{_KEPT}~[#6])"),
    "branch": ("carbon", "$(*(~[#6])(~[#6])~[#6])", "$(*(~[#6])~[#6])"),
    "ring": ("in_ring", "$(*(~[R])~[R])", "$(*~[R])"),
    "ring_beyond": ("carbon", "$(*~[#6]~[R])", "$(*~[#6]~[R])"),
    "oxo": ("carbon", f"$(*~{_OXO})", f"$(*~{_OXO})"),
    "oxo_carbon": ("carbon", f"$(*(~{_OXO})(~[#6])~[#6])", f"$(*(~{_OXO})~[#6])"),
    "oxo_ether": ("carbon", f"$(*(~{_OXO})~[#8;!D1])", f"$(*(~{_OXO})~[#8;!D1])"),
    "oxo_alone": ("carbon", f"d2&$(*~{_OXO})", f"d2&$(*~{_OXO})"),
}


def neighbour_holds(mol: Chem.Mol, atom: int, anchor: _Anchor, neighbour: str) -> bool:
    """The prefilter's test of ``neighbour`` passes at ``atom`` of a (sanitised) molecule."""
    query = Chem.MolFromSmarts(f"[{anchor.besides(neighbour)}]")
    return any(match[0] == atom for match in mol.GetSubstructMatches(query, maxMatches=10_000))


@dataclass(frozen=True)
class _Root:
    """The ways a region's group may be bonded, in every member that fills the region."""

    ways: frozenset[_Bonding]

    @classmethod
    def of(
        cls,
        elements: frozenset[int] | None,
        degree: int,
        most: int | None = None,
        neighbours: tuple[str, ...] = (),
    ) -> _Root:
        """A root bonded in one way."""
        return cls(frozenset({_Bonding(elements, degree, most, neighbours)}))

    def smarts(self, anchor: _Anchor | None) -> str | None:
        """One query atom that every way passes (an OR of ANDs); None if it would ask nothing."""
        conjuncts = sorted({c for way in self.ways for c in way.conjuncts(anchor)})
        if not conjuncts or "" in conjuncts:
            return None  # some member's group may be bonded through any atom
        return f"[{','.join(conjuncts)}]"

    def widened(self, other: _Root) -> _Root:
        return _Root(self.ways | other.ways)


def _every_clause(rule: ClassRule) -> list[Clause]:
    """The rule's clauses as written and as each of its named readings patches them."""
    found: dict[int, Clause] = {}
    for reading in (None, *rule.readings):
        for clause in rule.clauses_under(reading):
            found.setdefault(id(clause), clause)
    return list(found.values())


def _region_roots(rules: RuleSet) -> dict[tuple[str, str], _Root]:
    """The atom each region that takes one group is bonded through, in every member.

    A region whose reference has a group is filled in every member (no clause allows
    hydrogen there): its group is the reference's, with substituents or a slot changed
    (bonded through the same atom), or a group of a kind a clause allows in its place,
    under any reading. A region whose reference has none (hydrogen) is empty in the
    reference, and filled in a member only by a group of a kind a clause allows there; a
    region no clause names is left out (no bound is derived for it). Each kind says what
    it is bonded through (``_vocabulary.BONDED_THROUGH``: an amino group through
    nitrogen) and how many heavy neighbours that atom has at least and at most
    (``root_degree_at_least``: a C3-C8 hydrocarbyl's root has a carbon neighbour, so an
    N-methyl azole is no synthetic cannabinoid; ``root_degree_at_most``: a methyl's
    carbon has the anchor alone).
    """
    found: dict[tuple[str, str], _Root] = {}
    # Regions where some rule, under some reading, may add substituents to the group.
    substituted = {
        (scaffold.id, clause.region)
        for rule in rules.rules
        for clause in _every_clause(rule)
        if clause.substitute
        for scaffold in rule.scaffolds
    }
    for rule in rules.rules:
        clauses = _every_clause(rule)
        for scaffold in rule.scaffolds:
            for region in scaffold.regions:
                if region.take != "one":
                    continue
                key = (scaffold.id, region.id)
                root = found.get(key)
                if root is None and region.reference is not None:
                    exact = key not in substituted and not region.slots
                    root = _reference_root(region.reference, exact)
                named = [c for c in clauses if c.region == region.id]
                if region.reference is None and any(c.substitute for c in named):
                    continue  # a substituent added where the reference has none: no bound
                for clause in named:
                    for replacement in clause.replace:
                        allowed = _Root.of(
                            BONDED_THROUGH.get(replacement.kind),
                            root_degree_at_least(replacement.kind, replacement.options),
                            root_degree_at_most(replacement.kind, replacement.options),
                            root_neighbours(replacement.kind, replacement.options),
                        )
                        root = allowed if root is None else root.widened(allowed)
                if root is not None:
                    found[key] = root
    return found


def _reference_root(reference: str, exact: bool) -> _Root:
    """The atom a reference group (SMILES with '*') is bonded through.

    No upper bound on its degree: a clause may add substituents to the reference's group.
    When no clause may change the group short of replacing it (``exact``: no substituent
    clause on the region, no slot), a member that keeps it keeps its first atom's
    neighbours too: a pentyl's CH2 has a carbon beside the anchor.
    """
    mol = Chem.MolFromSmiles(reference)
    dummies = [a for a in mol.GetAtoms() if a.GetAtomicNum() == 0] if mol is not None else []
    if len(dummies) != 1 or dummies[0].GetDegree() != 1:
        return _Root.of(None, 1)
    atom = dummies[0].GetNeighbors()[0]
    facts: tuple[str, ...] = ()
    if exact:
        # The reference's own group, asked with the prefilter's own tests; the star it
        # hangs off is no carbon and in no ring, so only the group's atoms answer.
        nowhere = _Anchor(carbon=False, in_ring=False)
        order = ("in_ring", "chain", "hydrocarbon", "carbon", "ring")
        facts = next(((f,) for f in order if neighbour_holds(mol, atom.GetIdx(), nowhere, f)), ())
    return _Root.of(frozenset({atom.GetAtomicNum()}), atom.GetDegree(), None, facts)


def _anchor(query: Chem.Mol, index: int, ring_atoms: set[int]) -> _Anchor:
    """What the generic query says for certain of its atom ``index``."""
    terms = _atom_terms(query.GetAtomWithIdx(index).GetSmarts()) or frozenset()
    elements = {t for t in terms if t.startswith("#") and "," not in t}
    carbon = None if len(elements) != 1 else elements == {"#6"}
    return _Anchor(carbon, index in ring_atoms)


def _with_region_roots(
    query: Chem.Mol,
    scaffold: Scaffold,
    roots: dict[tuple[str, str], _Root],
    degrees: dict[int, tuple[int, int | None]],
    *,
    neighbours: bool,
) -> list[Chem.Mol]:
    """The generic query with each region's bonding atom on its core atom, as variants.

    A required region's bonding atom is a query atom bonded to its core atom. A region
    that may stay empty (hydrogen in the reference), alone on its core atom, doubles the
    variants: its core atom has no group more (its fewest neighbours in a member), or
    a group bonded through such an atom. Every member matches one variant: its core on
    the core, each group's first atom on the bonding atom.
    """
    index = scaffold.query_index
    bearing = Counter(atom for region in scaffold.regions for atom in region.from_atoms)
    query.UpdatePropertyCache(strict=False)
    ring_atoms = {i for ring in Chem.GetSymmSSSR(query) for i in ring}
    required = []
    optional = []
    for region in scaffold.regions:
        root = roots.get((scaffold.id, region.id))
        anchor = _anchor(query, index[region.from_atoms[0]], ring_atoms) if neighbours else None
        smarts = root.smarts(anchor) if root is not None else None
        if smarts is None or len(region.from_atoms) != 1:
            continue
        if region.reference is not None:
            required.append((index[region.from_atoms[0]], smarts))
        elif bearing[region.from_atoms[0]] == 1:
            optional.append((index[region.from_atoms[0]], smarts))
    variants = []
    for filled in product((False, True), repeat=len(optional)):
        edit = Chem.RWMol(query)
        bonded = list(required)
        for (q, smarts), full in zip(optional, filled, strict=True):
            if full:
                bonded.append((q, smarts))
            else:
                text = edit.GetAtomWithIdx(q).GetSmarts()
                inner = text[1:-1] if text.startswith("[") else text
                edit.ReplaceAtom(q, Chem.AtomFromSmarts(f"[{inner};d{degrees[q][0]}]"))
        for q, smarts in bonded:
            added = edit.AddAtom(Chem.AtomFromSmarts(smarts))
            edit.AddBond(q, added, Chem.BondType.SINGLE)
            bond = edit.GetBondBetweenAtoms(q, added).GetIdx()
            edit.ReplaceBond(bond, Chem.BondFromSmarts("~"))
        variants.append(Chem.MolFromSmarts(Chem.MolToSmarts(edit)))
    return variants


def _degree_test(low: int, high: int | None, core_degree: int) -> str:
    """A SMARTS test of the heavy degree ``d``; empty when the core's bonds already say it."""
    if high is None:
        return ";".join(f"!d{k}" for k in range(core_degree, low)) if low > core_degree else ""
    return ",".join(f"d{k}" for k in range(max(low, 1), high + 1))


def generic_query(
    query: Chem.Mol,
    *,
    keep_aromatic: bool = True,
    degrees: dict[int, tuple[int, int | None]] | None = None,
    carbonyl: str = "any",
    acyclic: bool = False,
) -> Chem.Mol:
    """The element-and-connectivity skeleton of a query (see the module docstring).

    ``carbonyl`` says how a carbonyl of the core (see ``_carbonyls``) is written: "any"
    (any bond), "double", or "charged" (any bond to an oxygen with a negative charge).
    ``acyclic``: an atom in no ring of the query is asked to be in no ring ("!R", which
    needs ring information): true of every member of a core that no ring may close onto
    (see ``Prefilter._build``).

    >>> Chem.MolToSmarts(generic_query(Chem.MolFromSmarts("[#7;X3,X4+:1]1-[#6;!a]-[C](=O)-c1")))
    '[#7]1~[#6&!a]~[#6&!a](~[#8&!a])~[#6]~1'
    """
    carbonyls = _carbonyls(query, degrees) if degrees and carbonyl != "any" else {}
    charged = set(carbonyls.values()) if carbonyl == "charged" else set()
    in_ring: set[int] = set()
    if acyclic:
        query.UpdatePropertyCache(strict=False)
        in_ring = {i for ring in Chem.GetSymmSSSR(query) for i in ring}
    generic = Chem.RWMol()
    for atom in query.GetAtoms():
        text = _generic_atom(atom)
        if not keep_aromatic:
            text = text.replace(";!a", "").replace("[!a]", "*")
        elif degrees and _aromatic_carbon(atom):
            # A carbon of an aromatic ring has three connections, hydrogens counted, however
            # it is written (c, or C= in kekulé form): a pyrrolidinone's CH2 is no pyrrole's.
            text = "[#6;X3]"
        test = _degree_test(*degrees[atom.GetIdx()], atom.GetDegree()) if degrees else ""
        if atom.GetIdx() in charged:
            test = f"{test};-1" if test else "-1"
        if acyclic and atom.GetIdx() not in in_ring:
            test = f"{test};!R" if test else "!R"
        if test:
            inner = text[1:-1] if text.startswith("[") else text
            text = f"[{inner};{test}]"
        generic.AddAtom(Chem.AtomFromSmarts(text))
    for bond in query.GetBonds():
        generic.AddBond(bond.GetBeginAtomIdx(), bond.GetEndAtomIdx(), Chem.BondType.SINGLE)
        double = carbonyl == "double" and bond.GetIdx() in carbonyls
        generic.ReplaceBond(
            generic.GetBondBetweenAtoms(bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()).GetIdx(),
            Chem.BondFromSmarts("=" if double else "~"),
        )
    return Chem.MolFromSmarts(Chem.MolToSmarts(generic))


def _carbonyls(query: Chem.Mol, degrees: dict[int, tuple[int, int | None]]) -> dict[int, int]:
    """The core's C=O bonds whose carbon must be written non-aromatic: bond -> its oxygen.

    Such an oxygen has no other heavy neighbour in any member, and the carbon is written
    in upper case, so the input writes the bond as a double bond, unless the oxygen
    carries a negative charge (C+-O-, or an enolate of a conjugated iminium) that the
    normaliser recombines into C=O. The uncharger never makes a C=O: a C-O- becomes C-OH.
    A 4-hydroxypiperidine is thus no 4-piperidone, for which the full path is not asked.
    """
    found = {}
    for bond in query.GetBonds():
        if Chem.Bond.GetSmarts(bond) != "=":
            continue
        ends = (bond.GetBeginAtom(), bond.GetEndAtom())
        for carbon, oxygen in (ends, ends[::-1]):
            if (
                _generic_atom(carbon) == "[#6;!a]"
                and oxygen.GetAtomicNum() == 8
                and degrees[oxygen.GetIdx()] == (1, 1)
            ):
                found[bond.GetIdx()] = oxygen.GetIdx()
    return found


def _rooted(query: Chem.Mol) -> str:
    """The query's SMARTS written from its most connected nitrogen, if it has one."""
    nitrogens = [a for a in query.GetAtoms() if a.GetAtomicNum() == 7]
    if not nitrogens:
        return Chem.MolToSmarts(query)
    root = max(nitrogens, key=lambda a: (a.GetDegree(), -a.GetIdx())).GetIdx()
    # Written from atom 0: renumbered so that the root is first. (``rootedAtAtom`` would
    # also be applied, out of range, to the small molecule of a recursive SMARTS.)
    order = [root, *(i for i in range(query.GetNumAtoms()) if i != root)]
    return Chem.MolToSmarts(Chem.RenumberAtoms(query, order))


def _root_ring(query: Chem.Mol) -> str | None:
    """The ring system through the query's busiest nitrogen, as SMARTS; None if none.

    The rings fused to the smallest ring through that nitrogen are part of it: the
    nitazenes' imidazole comes with its benzene ring.

    >>> _root_ring(Chem.MolFromSmarts("[#7]1~[#6]~[#6]~[#6](~[#7]~[#6])~[#6]~[#6]~1"))
    '[#7]1~[#6]~[#6]~[#6]~[#6]~[#6]~1'
    """
    nitrogens = [a for a in query.GetAtoms() if a.GetAtomicNum() == 7]
    if not nitrogens:
        return None
    root = max(nitrogens, key=lambda a: (a.GetDegree(), -a.GetIdx())).GetIdx()
    query.UpdatePropertyCache(strict=False)
    rings: list[set[int]] = [set(r) for r in Chem.GetSymmSSSR(query)]
    through = [r for r in rings if root in r]
    if not through:
        return None
    system = min(through, key=len).copy()
    while fused := [r for r in rings if len(r & system) >= 2 and not r <= system]:
        system.update(*fused)
    return Chem.MolFragmentToSmarts(query, atomsToUse=sorted(system))


def _atom_terms(smarts: str) -> frozenset[str] | None:
    """The AND-ed tests of a generic query atom ('[#7;d2,d3]' -> {'#7', 'd2,d3'}).

    None when the atom is not a plain AND of ORs of simple tests (an OR of ANDs, a
    recursive SMARTS): such an atom is never taken to imply anything.
    """
    inner = smarts[1:-1] if smarts.startswith("[") else smarts
    if "(" in inner:
        return None
    terms: set[str] = set()
    for part in inner.split(";"):
        if "," in part and "&" in part:
            return None  # '&' binds tighter than ',': an OR of ANDs
        terms.update(t for t in part.split("&") if t and t != "*")
    return frozenset(terms)


def _implies(tests: frozenset[str] | None, term: str) -> bool:
    """Every atom that passes all of ``tests`` passes ``term`` (an OR of simple tests)."""
    allowed = set(term.split(","))
    return tests is not None and any(set(test.split(",")) <= allowed for test in tests)


def _subsumes(wide: str, narrow: str, *, same_graph: bool = True) -> bool:
    """Every match of the ring system ``narrow`` is a match of ``wide`` (both generic SMARTS).

    True when the two have the same graph and, for some mapping of one onto the other,
    each test of a ``wide`` atom is implied by the tests of its ``narrow`` atom (bonds are
    all '~'). Then ``wide`` alone gates whatever ``narrow`` gates. With ``same_graph``
    False, ``wide``'s graph may be part of ``narrow``'s: every match of ``narrow`` holds
    a match of ``wide``.
    """
    a, b = Chem.MolFromSmarts(wide), Chem.MolFromSmarts(narrow)
    if same_graph and (a.GetNumAtoms() != b.GetNumAtoms() or a.GetNumBonds() != b.GetNumBonds()):
        return False
    graph = Chem.RWMol()
    for atom in b.GetAtoms():
        graph.AddAtom(Chem.Atom(atom.GetAtomicNum()))
    for bond in b.GetBonds():
        graph.AddBond(bond.GetBeginAtomIdx(), bond.GetEndAtomIdx(), Chem.BondType.SINGLE)
    shape = Chem.RWMol()
    for _ in a.GetAtoms():
        shape.AddAtom(Chem.Atom(0))
    for bond in a.GetBonds():
        shape.AddBond(bond.GetBeginAtomIdx(), bond.GetEndAtomIdx(), Chem.BondType.SINGLE)
    shape = Chem.MolFromSmarts(Chem.MolToSmarts(shape).replace("#0", "*"))
    graph.UpdatePropertyCache(strict=False)
    for mapping in graph.GetSubstructMatches(shape, uniquify=False, maxMatches=10_000):
        if all(
            terms is not None
            and all(_implies(_atom_terms(b.GetAtomWithIdx(j).GetSmarts()), t) for t in terms)
            for i, j in enumerate(mapping)
            for terms in (_atom_terms(a.GetAtomWithIdx(i).GetSmarts()),)
        ):
            return True
    return False


def _gates_of(rings: Iterable[str], gates: Sequence[str]) -> frozenset[int]:
    """The gates (by index) of which one matches wherever any of ``rings`` matches.

    A ring system ``_widest`` kept is its own gate (even one whose atoms ``_subsumes``
    cannot read); one it left out is subsumed by a gate it kept.

    >>> _gates_of(["[#7&d3]1~[#6]~[#6]~[#6]~[#6]~[#6]~1"], ["[#7]1~[#6]~[#6]~[#6]~[#6]~[#6]~1"])
    frozenset({0})
    """
    return frozenset(
        n for n, gate in enumerate(gates) for ring in rings if gate == ring or _subsumes(gate, ring)
    )


def _widest(rings: Iterable[str]) -> list[str]:
    """The ring systems that no other one subsumes (one of each equal pair)."""
    rings = list(rings)
    kept: list[str] = []
    for n, ring in enumerate(rings):
        wider = (
            other
            for m, other in enumerate(rings)
            if m != n and _subsumes(other, ring) and (m < n or not _subsumes(ring, other))
        )
        if next(wider, None) is None:
            kept.append(ring)
    return kept


def _generic_atom(atom: Chem.Atom) -> str:
    # RDKit has no API that says whether a query atom demands aliphatic; its debug text
    # does. That text is not a stable interface: the RDKit pin and the prefilter's fuzz
    # tests (tests/test_prefilter.py) are what make this safe. Re-run them on an upgrade.
    description = atom.DescribeQuery()
    lines = description.splitlines()
    element = atom.GetAtomicNum()
    negated = any(
        "!=" in line and ("AtomAtomicNum" in line or "AtomType" in line) for line in lines
    )
    symbol = "*" if element == 0 or negated else f"#{element}"
    either = "AtomOr" in description
    aliphatic = not either and (
        "AtomIsAromatic 1 != val" in description
        or "AtomIsAliphatic 1 = val" in description
        or any(int(t) < 1000 for t in _TYPE.findall(description))
    )
    if aliphatic:
        return f"[{symbol};!a]" if symbol != "*" else "[!a]"
    return f"[{symbol}]" if symbol != "*" else "*"


def _aromatic_carbon(atom: Chem.Atom) -> bool:
    """The query atom demands an aromatic carbon (``c``, ``[#6;a]``)."""
    description = atom.DescribeQuery()
    if "AtomOr" in description or atom.GetAtomicNum() != 6:
        return False
    return "AtomIsAromatic 1 = val" in description or any(
        int(t) >= 1000 for t in _TYPE.findall(description)
    )


# Gates and fronts to ask, each front with the gates behind it (a gate with ()).
_GateOrder = tuple[tuple[int, tuple[int, ...]], ...]


@dataclass(frozen=True, slots=True)
class _Plan:
    """The searches that a fragment's heavy formula and rings leave worth asking."""

    parents: tuple[int, ...]  # parents whose esters or ethers may have that formula
    gates: tuple[int, ...]  # gates whose ring systems it may hold (no fronts)
    ungated: tuple[int, ...]  # patterns without a gate that it may hold
    # The same, ready to ask: the parents' and the ungated patterns' catalogues (None when
    # there are none) and the order of the gates.
    derivatives: FilterCatalog.FilterCatalog | None
    ungated_catalog: FilterCatalog.FilterCatalog | None
    order: _GateOrder


class Prefilter:
    """Necessary conditions for any rule of a rule set to say anything about a structure."""

    def __init__(self, rules: RuleSet, limits: Limits = DEFAULT_LIMITS) -> None:
        with rdBase.BlockLogs():  # inorganic listed chemicals make RDKit talk
            self._build(rules, limits)
        self._assemble()

    @classmethod
    def for_rules(cls, rules: RuleSet, limits: Limits = DEFAULT_LIMITS) -> Prefilter:
        """The prefilter of a rule set, from the cache of compiled rules when it is there.

        Building it takes about half a second (a query per listed structure); a rule set
        compiled from files (``RuleSet.compiled_key``) keeps its prefilter beside it.
        """
        key = ""
        if rules.compiled_key:
            key = hashlib.sha256(f"prefilter\0{rules.compiled_key}".encode()).hexdigest()
            cached = _cache.load(key, kind="prefilter")
            if isinstance(cached, cls):
                cached.limits = limits
                return cached
        built = cls(rules, limits)
        if key:
            _cache.store(key, built, kind="prefilter")
        return built

    # RDKit's catalogues cannot be pickled: they are built again from the queries.
    _UNPICKLED = ("_entries", "_catalogs", "_plans", "_orders", "_params", "_hydrogens")

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k not in self._UNPICKLED}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._assemble()

    def _assemble(self) -> None:
        """RDKit catalogue entries and parser settings, from the queries ``_build`` made."""
        # Each pattern is written from its busiest nitrogen, the atom the search starts
        # from; the patterns asked of a record go in one catalogue (one call).
        self._entries = {
            "gates": [catalog_entry(n, q) for n, q in enumerate(self._gate_queries)],
            "scaffolds": [catalog_entry(n, q) for n, q in enumerate(self._gated_queries[False])],
            "scaffolds_fine": [
                catalog_entry(n, q) for n, q in enumerate(self._gated_queries[True])
            ],
            "ungated": [catalog_entry(n, q) for n, q in enumerate(self._ungated_queries[False])],
            "derivatives": [catalog_entry(n, query) for n, (*_, query) in enumerate(self._parents)],
        }
        self.ungated_fine = query_catalog(
            catalog_entry(n, q) for n, q in enumerate(self._ungated_queries[True])
        )
        # Catalogues by the entries they hold, and plans by (heavy formula, rings): bounded,
        # as a catalogue of records has many formulas.
        self._catalogs: dict[tuple[str, tuple[int, ...]], FilterCatalog.FilterCatalog] = {}
        self._plans: dict[tuple[str, int], _Plan] = {}
        self._orders: dict[tuple[int, ...], _GateOrder] = {}
        self._params = Chem.SmilesParserParams()
        # RDKit's stubs type these attribute setters as taking the params object itself.
        self._params.sanitize = False  # type: ignore[assignment]
        self._params.removeHs = False  # type: ignore[assignment]
        # Every hydrogen that the full path's clean-up removes (isotope labels cleared,
        # then RemoveHs), including one that defines a double bond's geometry: the
        # prefilter does not look at stereo.
        self._hydrogens = Chem.RemoveHsParameters()
        self._hydrogens.removeIsotopes = True  # type: ignore[assignment]
        self._hydrogens.removeDefiningBondStereo = True  # type: ignore[assignment]

    def _catalog(self, kind: str, entries: tuple[int, ...]) -> FilterCatalog.FilterCatalog:
        """One catalogue of the entries of a kind (``_entries``), built once and kept."""
        catalog = self._catalogs.get((kind, entries))
        if catalog is None:
            if len(self._catalogs) > _CATALOGS:
                self._catalogs.clear()
            found = self._entries[kind]
            catalog = self._catalogs[(kind, entries)] = query_catalog(found[n] for n in entries)
        return catalog

    def _build(self, rules: RuleSet, limits: Limits) -> None:
        self.limits = limits
        # Each scaffold's patterns, behind the ring system through its busiest nitrogen
        # when it has one (the fentanyls' piperidine, the nitazenes' benzimidazole, the
        # synthetic cannabinoids' indole or azole): few catalogue records hold one, and a
        # ring costs less to ask than a whole core. A core without such a ring is asked
        # on its own.
        # Two sets of patterns: coarse ones, which do not ask what a region's bonding atom
        # has beside the core, and fine ones, which do (recursive SMARTS, which RDKit
        # matches over the whole molecule first: asked only of records the coarse
        # patterns let through, well under 1 % of a catalogue).
        # Each gated pattern with the ring systems it is gated by (ordered, no repeats).
        gated: dict[bool, dict[str, dict[str, None]]] = {False: {}, True: {}}
        ungated: dict[bool, dict[str, None]] = {False: {}, True: {}}
        gate_rings: dict[str, None] = {}
        roots = _region_roots(rules)
        for rule in rules.rules:
            for scaffold in rule.scaffolds:
                degrees = _member_degrees(scaffold)
                ring = _root_ring(generic_query(scaffold.core, degrees=degrees))
                forms = ("double", "charged") if _carbonyls(scaffold.core, degrees) else ("any",)
                # A ring closed onto the core is a difference in every decomposition
                # (``_decompose._cut``), unless a bridge region expects it: in a member, an
                # atom of the core in no ring of the core is in no ring at all (a spiro
                # ring at C4 puts the fentanyls' anilide nitrogen in one).
                closable = any(region.take == "bridge" for region in scaffold.regions)
                for form, fine in product(forms, (False, True)):
                    query = generic_query(
                        scaffold.core,
                        degrees=degrees,
                        carbonyl=form,
                        acyclic=fine and not closable,
                    )
                    for variant in _with_region_roots(
                        query, scaffold, roots, degrees, neighbours=fine
                    ):
                        if ring:
                            gated[fine].setdefault(_rooted(variant), {})[ring] = None
                        else:
                            ungated[fine].setdefault(_rooted(variant), None)
                if ring:
                    gate_rings.setdefault(ring, None)
        # A ring system that another one subsumes adds nothing to the gate (the fentanyls'
        # N-substituted piperidine is a piperidine of 4-AP's), and each costs a search.
        gates = _widest(gate_rings)
        # Each gate behind the first front that every match of it holds; a front that
        # would stand before one gate only saves nothing and is left out. Fronts are
        # numbered after the gates, in one list of queries.
        behind: dict[str, list[int]] = {}
        for n, gate in enumerate(gates):
            front = next((f for f in _FRONTS if _subsumes(f, gate, same_graph=False)), None)
            if front is not None:
                behind.setdefault(front, []).append(n)
        fronts = [f for f, fronted in behind.items() if len(fronted) > 1]
        self._front_of: list[int | None] = [None] * len(gates)
        for m, front in enumerate(fronts, start=len(gates)):
            for n in behind[front]:
                self._front_of[n] = m
        self._gate_queries = [Chem.MolFromSmarts(r) for r in (*gates, *fronts)]
        self._gated_queries = {k: [Chem.MolFromSmarts(p) for p in v] for k, v in gated.items()}
        self._ungated_queries = {k: [Chem.MolFromSmarts(p) for p in v] for k, v in ungated.items()}
        # A pattern can only match where one of the gates that subsume its ring system
        # matched: only those patterns are asked (the fentanyls' behind the piperidine).
        self._pattern_gates = {
            fine: [_gates_of(rings, gates) for rings in patterns.values()]
            for fine, patterns in gated.items()
        }
        # What each gate and each ungated pattern needs of a fragment's heavy formula and
        # rings (``_least_content``): a fragment short of it is not searched for it. A
        # catalogue record's formula settles about a quarter of these searches.
        self._gate_needs = numpy.array(
            [_least_content(q) for q in self._gate_queries], dtype=numpy.int32
        ).reshape(len(self._gate_queries), len(_ELEMENTS) + 1)
        self._ungated_needs = numpy.array(
            [_least_content(q) for q in self._ungated_queries[False]], dtype=numpy.int32
        ).reshape(len(self._ungated_queries[False]), len(_ELEMENTS) + 1)
        # Listed parents by heavy formula, each as an element-and-connectivity query: the
        # heavy-atom graph is what standardisation leaves alone, so a fragment can only be
        # a listed parent if its graph is that parent's graph.
        graphs: dict[str, dict[str, tuple[int, int]]] = {}
        # A plant or a preparation has no key: it is found by name only.
        keys = {e.substance.key for listed in rules.lists for e in listed.entries}
        for smiles in sorted(k for k in keys if k is not None):
            parent = Chem.MolFromSmiles(smiles)
            same = graphs.setdefault(heavy_formula(parent), {})
            # A fragment with the parent's graph has its heavy atoms and bonds, no more.
            size = (parent.GetNumHeavyAtoms(), parent.GetNumBonds())
            same.setdefault(_graph_smarts(parent), size)
        self.signatures: dict[str, list[tuple[int, int, Chem.Mol]]] = {
            formula: [
                (atoms, bonds, Chem.MolFromSmarts(text)) for text, (atoms, bonds) in same.items()
            ]
            for formula, same in graphs.items()
        }
        # Esters and ethers of a substance whose list covers them (``_derivatives.py``): such
        # a structure holds the parent's heavy-atom graph, one of its hydroxyl oxygens now
        # bonded to a carbon more. Its heavy formula holds the parent's, element by
        # element, and its rings (bonds - atoms + 1) are at least the parent's: a cheap
        # test that settles most records before the parent's graph is looked for.
        self.derivatives: dict[str, tuple[dict[str, int], int, int, Chem.Mol]] = {}
        for substances in rules.derivative_graphs.values():
            for key in substances:
                parent = Chem.MolFromSmiles(key)
                if not any(
                    a.GetAtomicNum() == 8 and a.GetTotalNumHs() and a.GetDegree() == 1
                    for a in parent.GetAtoms()
                ):
                    continue  # no hydroxyl: nothing to esterify or etherify
                query = derivative_query(parent)
                counts = _element_counts(heavy_formula(parent))
                self.derivatives[key] = (counts, _rings(parent), parent.GetNumHeavyAtoms(), query)
        # One row per parent: its element counts, rings and heavy atoms, compared with a
        # fragment's in one numpy step. The ester's or ether's group is bonded to the
        # oxygen through a carbon: the derivative has at least one carbon more.
        self._parents = list(self.derivatives.values())
        self._needs = numpy.array(
            [
                [need.get(e, 0) + (e == "C") for e in _ELEMENTS] + [rings, heavy + 1]
                for need, rings, heavy, _ in self._parents
            ],
            dtype=numpy.int32,
        ).reshape(len(self._parents), len(_ELEMENTS) + 2)
        # ... and at most MAX_ADDED_ATOMS more heavy atoms than the parent.
        self._largest = numpy.array([p[2] + MAX_ADDED_ATOMS for p in self._parents])

    def out_of_scope(self, smiles: str) -> bool:
        """True when no rule can match the structure; False when the full path must decide."""
        with rdBase.BlockLogs():
            return self._out_of_scope(smiles)

    def out_of_scope_each(self, texts: Iterable[str | None]) -> list[bool | None]:
        """``out_of_scope`` of each text, with RDKit's log blocked once for all of them.

        A text the prefilter raises on gives None: the full path reports what is wrong.
        Blocking RDKit's log costs about 4 us, as much as a tenth of the prefilter.
        """
        found: list[bool | None] = []
        with rdBase.BlockLogs():
            for text in texts:
                try:
                    found.append(self._out_of_scope(text or ""))
                except Exception:  # noqa: BLE001 - the full path reports it, with its reason
                    found.append(None)
        return found

    def _out_of_scope(self, smiles: str) -> bool:
        """``out_of_scope`` with RDKit's log already blocked by the caller."""
        if not smiles or len(smiles) > self.limits.max_input_chars or _SPACE.search(smiles):
            return False
        mol = Chem.MolFromSmiles(smiles, self._params)
        heavy = mol.GetNumHeavyAtoms() if mol is not None else 0
        if mol is None or heavy == 0 or heavy > self.limits.max_heavy_atoms or "*" in smiles:
            return False  # the full path reports the error (or the dummy atom), with its reason
        try:
            mol.UpdatePropertyCache(strict=True)  # valence errors go to the full path
        except Exception:  # noqa: BLE001 - RDKit raises several kinds
            return False
        if "[" in smiles and _HYDROGEN_ATOM.search(smiles):
            bare = self._without_hydrogens(mol)
            if bare is None:
                return False
            mol = bare
        if "." in smiles:
            fragments = Chem.GetMolFrags(mol, asMols=True, sanitizeFrags=False)
            for fragment in fragments:
                fragment.UpdatePropertyCache(strict=False)
        else:
            fragments = (mol,)
        plans = []
        for fragment in fragments:
            formula = heavy_formula(fragment)
            if not _organic(formula):
                return False
            for atoms, bonds, graph in self.signatures.get(formula, ()):
                if (
                    fragment.GetNumHeavyAtoms() == atoms
                    and fragment.GetNumBonds() == bonds
                    and fragment.HasSubstructMatch(graph)
                ):
                    return False
            plan = self._plan(formula, _rings(fragment))
            # Without an oxygen between two carbons there is no ester or ether. A parent's
            # graph in the fragment, its hydroxyl oxygens free to carry a carbon more, is
            # necessary for one (the full path says whether it is one).
            if (
                plan.derivatives is not None
                and fragment.HasSubstructMatch(_ESTER_OR_ETHER_OXYGEN)
                and plan.derivatives.HasMatch(fragment)
            ):
                return False
            plans.append(plan)
        # Kekulisation is not checked: it would cost more than the rest of the prefilter
        # (about 25 us a record), and a record that does not kekulise is still settled
        # as out of scope here, while `--full` reports it as an error.
        if len(plans) > 1:  # a gate or pattern matches within a fragment that may hold it
            gates = tuple(sorted({n for plan in plans for n in plan.gates}))
            ungated = tuple(sorted({n for plan in plans for n in plan.ungated}))
            plans = [self._planned((), gates, ungated)]
        plan = plans[0]
        # The fine patterns may ask a ring membership: it is found before them.
        if plan.ungated_catalog is not None and plan.ungated_catalog.HasMatch(mol):
            Chem.FastFindRings(mol)
            if self.ungated_fine.HasMatch(mol):
                return False
        # One search a gate or front (a catalogue's matches cost more to read back).
        queries = self._gate_queries
        matched: list[int] = []
        for n, behind in plan.order:
            if mol.HasSubstructMatch(queries[n]):
                if behind:
                    matched.extend(m for m in behind if mol.HasSubstructMatch(queries[m]))
                else:
                    matched.append(n)
        if not matched:
            return True
        if not self._scaffolds(tuple(matched), fine=False).HasMatch(mol):
            return True
        Chem.FastFindRings(mol)
        return not self._scaffolds(tuple(matched), fine=True).HasMatch(mol)

    def _planned(
        self, parents: tuple[int, ...], gates: tuple[int, ...], ungated: tuple[int, ...]
    ) -> _Plan:
        return _Plan(
            parents=parents,
            gates=gates,
            ungated=ungated,
            derivatives=self._catalog("derivatives", parents) if parents else None,
            ungated_catalog=self._catalog("ungated", ungated) if ungated else None,
            order=self._order(gates),
        )

    def _order(self, gates: tuple[int, ...]) -> _GateOrder:
        """How to ask these gates: a front in place of the gates behind it."""
        if gates in self._orders:
            return self._orders[gates]
        first: dict[int, list[int]] = {}
        for n in gates:
            front = self._front_of[n]
            if front is None:
                first[n] = []
            else:
                first.setdefault(front, []).append(n)
        order = self._orders[gates] = tuple((n, tuple(b)) for n, b in sorted(first.items()))
        return order

    def _scaffolds(self, gates: tuple[int, ...], *, fine: bool) -> FilterCatalog.FilterCatalog:
        """The gated patterns (fine or coarse) that can match where ``gates`` matched."""
        kind = "scaffolds_fine" if fine else "scaffolds"
        catalog = self._catalogs.get((f"{kind} behind", gates))
        if catalog is None:
            found = set(gates)
            patterns = self._pattern_gates[fine]
            behind = tuple(n for n, needed in enumerate(patterns) if needed & found)
            catalog = self._catalogs[(f"{kind} behind", gates)] = self._catalog(kind, behind)
        return catalog

    def _without_hydrogens(self, mol: Chem.Mol) -> Chem.Mol | None:
        """The structure with its hydrogen atoms removed, as the full path removes them.

        None when one stays (a lone proton, H2, a hydrogen bridging two atoms): the full
        path decides such a record.
        """
        try:
            bare = Chem.RemoveHs(mol, self._hydrogens, sanitize=False)
            bare.UpdatePropertyCache(strict=True)
        except Exception:  # noqa: BLE001 - RDKit raises several kinds
            return None
        return bare if bare.GetNumAtoms() == bare.GetNumHeavyAtoms() else None

    def _plan(self, formula: str, rings: int) -> _Plan:
        """The searches worth asking of a fragment with this heavy formula and rings."""
        plan = self._plans.get((formula, rings))
        if plan is None:
            if len(self._plans) > _CACHE_SIZE:
                self._plans.clear()
            counts = _element_counts(formula)
            row = numpy.array([counts.get(e, 0) for e in _ELEMENTS] + [rings])
            heavy = sum(counts.values())
            parents = (self._needs <= numpy.append(row, heavy)).all(axis=1) & (
                self._largest >= heavy
            )
            found = [
                tuple(int(n) for n in numpy.flatnonzero(fits))
                for fits in (
                    parents,
                    (self._gate_needs[: len(self._front_of)] <= row).all(1),
                    (self._ungated_needs <= row).all(1),
                )
            ]
            plan = self._plans[(formula, rings)] = self._planned(*found)
        return plan
