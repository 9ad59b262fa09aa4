"""Draw a decided structure as SVG, its regions coloured by the clause that allowed them.

Atoms of each allowed modification are coloured by its clause; atoms of a difference that
no clause allows are marked red; the unchanged core is left plain. The drawing is of the
``standardized`` parent, whose atom indices the verdict's atom lists use.
"""

from __future__ import annotations

from rdkit import Chem
from rdkit.Chem.Draw import rdMolDraw2D

from classwide._findings import ClassMatch, JurisdictionVerdict, NearMiss

# Tints of the colour-blind-safe Okabe-Ito palette, one per clause in order of appearance.
# Light tints keep atom labels readable under the highlight.
PALETTE = [
    (0.55, 0.76, 0.95),
    (0.98, 0.78, 0.45),
    (0.55, 0.85, 0.70),
    (0.90, 0.70, 0.85),
    (0.75, 0.88, 0.98),
    (0.97, 0.93, 0.55),
    (0.80, 0.80, 0.80),
]
DISALLOWED = (0.98, 0.55, 0.55)


def _hex(colour: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in colour)


def highlights(verdict: JurisdictionVerdict) -> tuple[dict[int, tuple], dict[str, str]]:
    """Atom colours for one jurisdiction's verdict, and the legend (clause -> colour)."""
    colours: dict[int, tuple] = {}
    legend: dict[str, str] = {}
    structural = [m for m in verdict.matches if isinstance(m, ClassMatch)]
    chosen = next((m for m in structural if m.applies), structural[0] if structural else None)
    if chosen is not None:
        for mod in chosen.modifications:
            label = "/".join(mod.clauses)
            if label not in legend:
                legend[label] = _hex(PALETTE[len(legend) % len(PALETTE)])
            rgb = PALETTE[list(legend).index(label) % len(PALETTE)]
            for atom in mod.atoms:
                colours[atom] = rgb
    elif verdict.near_misses:
        near: NearMiss = verdict.near_misses[0]
        for mod in near.modifications:
            label = "/".join(mod.clauses)
            if label not in legend:
                legend[label] = _hex(PALETTE[len(legend) % len(PALETTE)])
            for atom in mod.atoms:
                colours[atom] = PALETTE[list(legend).index(label) % len(PALETTE)]
        for difference in near.differences:
            for atom in difference.atoms:
                colours[atom] = DISALLOWED
        if any(d.atoms for d in near.differences):
            legend["not allowed"] = _hex(DISALLOWED)
    return colours, legend


def draw_svg(smiles: str, verdict: JurisdictionVerdict | None = None, size: int = 360) -> str:
    """An SVG drawing of ``smiles`` with the verdict's regions highlighted.

    Example:
        >>> draw_svg("CCO").startswith("<?xml")
        True
    """
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise ValueError(f"cannot draw {smiles!r}")
    colours = highlights(verdict)[0] if verdict is not None else {}
    drawer = rdMolDraw2D.MolDraw2DSVG(size, size)
    options = drawer.drawOptions()
    # RDKit's stubs type these attribute setters as taking the options object itself.
    options.clearBackground = False  # type: ignore[assignment]
    options.addStereoAnnotation = True  # type: ignore[assignment]
    bonds = {}
    for bond in mol.GetBonds():
        a, b = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        if a in colours and b in colours and colours[a] == colours[b]:
            bonds[bond.GetIdx()] = colours[a]
    rdMolDraw2D.PrepareAndDrawMolecule(
        drawer,
        mol,
        highlightAtoms=list(colours),
        highlightAtomColors=colours,
        highlightBonds=list(bonds),
        highlightBondColors=bonds,
    )
    drawer.FinishDrawing()
    return drawer.GetDrawingText()
