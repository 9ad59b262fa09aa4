"""Every named listing of the US, China and the UN: the drugs a chemist expects, by name and
by structure, with the category, the instrument and the date; stereo where the law names one
isomer; plants by name; names in each language.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from classwide import classify
from classwide._rules import default_rules
from classwide.cli import app

DAY = "2026-11-30"
RULES = default_rules()

# name -> expected status in US, CN and UN
EXPECTED = {
    "pethidine": ("listed", "listed", "listed"),
    "heroin": ("listed", "listed", "listed"),
    "morphine": ("listed", "listed", "listed"),
    "methadone": ("listed", "listed", "listed"),
    "oxycodone": ("listed", "listed", "listed"),
    "cocaine": ("listed", "listed", "listed"),
    "ketamine": ("listed", "listed", "not_controlled"),  # not under international control
    "MDMA": ("listed", "listed", "listed"),
    "isotonitazene": ("listed", "listed", "listed"),
    "ephedrine": ("precursor", "precursor", "precursor"),
    "safrole": ("precursor", "precursor", "precursor"),
    "diazepam": ("listed", "listed", "listed"),
    # China lists caffeine among its psychotropic substances (category II); the US and the
    # UN do not control it.
    "caffeine": ("not_controlled", "listed", "not_controlled"),
}


def _statuses(record):
    return tuple(record.verdict(code).status.value for code in ("US", "CN", "UN"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_drugs_a_chemist_expects_by_name_and_by_structure(name):
    if name == "caffeine":
        by_name = classify("Cn1c(=O)c2c(ncn2C)n(C)c1=O", "US,CN,UN", DAY)
    else:
        by_name = classify(name, "US,CN,UN", DAY)
    assert _statuses(by_name) == EXPECTED[name]
    if by_name.standardized:
        by_structure = classify(by_name.standardized, "US,CN,UN", DAY)
        assert _statuses(by_structure) == EXPECTED[name]
        salt = classify(by_name.standardized + ".Cl", "US,CN,UN", DAY)
        assert _statuses(salt) == EXPECTED[name]


def test_pethidine_says_category_code_instrument_and_date_in_each_jurisdiction():
    record = classify("pethidine", "US,CN,UN", DAY)
    (us,) = [m for m in record.verdict("US").listings() if m.kind == "listed"]
    assert us.rule == "US-CSA-II" and us.code == "9230" and us.narcotic is True
    assert us.category.startswith("Schedule II") and us.instrument and us.since
    assert "narcotic, DEA 9230" in us.explanation
    (cn,) = [m for m in record.verdict("CN").listings() if m.kind == "listed"]
    assert cn.rule == "CN-MEDICAL-NARCOTIC" and cn.category and cn.instrument
    un = record.verdict("UN").listings()
    assert {m.rule for m in un} >= {"UN-1961-I"}


def test_check_pethidine_on_the_command_line():
    result = CliRunner().invoke(app, ["check", "pethidine", "--as-of", DAY])
    assert result.exit_code == 0, result.output
    for code in ("US: listed", "CN: listed", "UN: listed"):
        assert code in result.stdout
    assert "DEA 9230" in result.stdout


@pytest.mark.parametrize(
    ("text", "substance"),
    [
        ("哌替啶", "pethidine"),
        ("50-36-2", "cocaine"),
        ("海洛因", "heroin"),
        ("meperidine", "pethidine"),
    ],
)
def test_names_in_each_language_and_cas_numbers_find_the_substance(text, substance):
    found = RULES.lookup_name(text)
    assert found is not None and found.id == substance
    assert classify(text, "US", DAY).verdict("US").status.value == "listed"


def test_levomethorphan_is_controlled_and_dextromethorphan_is_not_in_the_us():
    levo = classify("levomethorphan", "US", DAY).verdict("US")
    assert levo.status.value == "listed"
    assert any(m.stereo == "as-drawn" for m in levo.listings())
    dextro = classify("dextromethorphan", "US,UN", DAY)
    assert dextro.verdict("US").status.value == "not_controlled"
    assert dextro.verdict("UN").status.value == "not_controlled"


def test_an_input_without_stereo_is_flagged_under_a_one_isomer_listing():
    """Pregabalin is the (S)-isomer: drawn flat, it may be it, and the listing says so."""
    flat = classify("CC(C)CC(CN)CC(=O)O", "US", DAY).verdict("US")
    assert flat.status.value == "listed"
    assert [m.stereo for m in flat.listings()] == ["unresolved"]
    r_isomer = classify("CC(C)C[C@@H](CN)CC(=O)O", "US", DAY).verdict("US")
    assert r_isomer.status.value == "not_controlled"


def test_opium_and_coca_leaf_are_found_by_name_only():
    for name in ("opium", "coca leaves"):
        record = classify(name, "US,CN,UN", DAY)
        assert record.standardized is None
        assert record.verdict("US").status.value == "listed", name


def test_old_chinese_list_ids_still_resolve():
    assert RULES.get("CN-NON-MEDICAL-LIST").id == "CN-NON-MEDICAL"
    assert RULES.get("CN-NARCOTIC-DRUGS").id == "CN-MEDICAL-NARCOTIC"


@pytest.mark.parametrize("listed", RULES.lists, ids=lambda lst: lst.id)
def test_every_list_has_sourced_entries_and_counts_its_structures(listed):
    counts = listed.summary()["counts"]
    assert counts["entries"] == len(listed.entries) > 0
    assert (
        counts["verified_structures"]
        + counts["unverified_structures"]
        + counts["without_structure"]
        == counts["substances"]
    )
    for entry in listed.entries:
        assert entry.url.startswith("http") and entry.instrument


MORPHINE_3_PROPIONATE = "CCC(=O)Oc1ccc2c3c1O[C@H]1[C@@H](O)C=C[C@H]4[C@@H](C2)N(C)CC[C@@]341"


def test_an_ester_of_a_listed_substance_is_covered_by_its_listing():
    """Morphine 3-propionate is named nowhere; lists that cover morphine's esters cover it."""
    record = classify(MORPHINE_3_PROPIONATE, "CN,UN", DAY)
    for code in ("CN", "UN"):
        verdict = record.verdict(code)
        assert verdict.status.value == "listed", code
        (derived,) = [m for m in verdict.matches if m.kind == "derivative"]
        assert derived.substance == "morphine" and derived.applies
        assert derived.relation.startswith("ester of") and len(derived.atoms) == 4
        assert derived.to_dict()["relation"] == derived.relation


def test_a_listed_ester_is_reported_under_its_own_listing():
    verdict = classify("heroin", "UN", DAY).verdict("UN")
    own = [m for m in verdict.matches if m.kind == "listed"]
    derived = [m for m in verdict.matches if m.kind == "derivative"]
    assert own and all(m.applies for m in own)
    assert derived and not any(m.applies for m in derived)
    assert {m.reason for m in derived} == {"listed itself"}


def test_the_prefilter_sends_esters_of_listed_substances_to_the_full_path(tmp_path):
    import json

    source = tmp_path / "in.smi"
    source.write_text(f"{MORPHINE_3_PROPIONATE} ester\nCCO ethanol\n")
    result = CliRunner().invoke(app, ["screen", str(source), "-j", "UN", "--as-of", DAY])
    assert result.exit_code == 0, result.output
    ester, ethanol = (json.loads(line) for line in result.stdout.splitlines())
    assert ester["jurisdictions"]["UN"]["status"] == "listed"
    assert ester["decided_by"] == "full" and ethanol["decided_by"] == "prefilter"


def test_a_large_molecule_holding_a_listed_one_is_not_its_ester():
    """A group of more than MAX_ADDED_ATOMS heavy atoms is not an ester or ether group."""
    from classwide._derivatives import MAX_ADDED_ATOMS

    big = "C" * (MAX_ADDED_ATOMS + 1) + "C(=O)" + MORPHINE_3_PROPIONATE[len("CCC(=O)") :]
    verdict = classify(big, "UN", DAY).verdict("UN")
    assert not [m for m in verdict.matches if m.kind == "derivative"]


def test_pieces_of_other_formulas_are_not_built_and_the_rest_are_unchanged():
    """The engine builds only pieces with the heavy formula of a substance whose list
    covers esters or ethers; those pieces are exactly the ones found without the guard."""
    from rdkit import Chem

    from classwide._derivatives import heavy_formula_of_smiles, undo_esters_and_ethers
    from classwide._prefilter import heavy_formula

    formulas = RULES.derivative_formulas
    # The formula of a piece (counted from its atoms) is the prefilter's formula (RDKit's).
    keys = {e.substance.key for listed in RULES.lists for e in listed.entries}
    for key in sorted(k for k in keys if k is not None):
        assert heavy_formula_of_smiles(key) == heavy_formula(Chem.MolFromSmiles(key)), key
    assert heavy_formula_of_smiles("CN1CCC23C4Oc5c(O)ccc(CC1C2C=CC4O)c53") in formulas  # morphine
    structures = [
        MORPHINE_3_PROPIONATE,
        "CC(=O)OC1C=CC2C3Cc4ccc(OC(C)=O)c5OC1C2(CCN3C)c45",  # heroin
        "COc1ccc2c3c1OC1C(OC)C=CC4C(C2)N(C)CCC341",  # codeine methyl ether
        "CCOC(=O)Cc1ccccc1",  # ethyl phenylacetate
        "COc1ccc(CC(=O)OCCOC(C)=O)cc1OC",  # many ether and ester bonds, none of use
        "CCOC(=O)C1(c2ccccc2)CCN(C)CC1",  # pethidine: an ester of pethidinic acid
    ]
    listed = {
        e.substance.key
        for listed in RULES.lists
        for e in listed.entries
        if {"esters", "ethers"} & set(e.scope)
    }
    useful = skipped = named = 0
    for smiles in structures:
        mol = Chem.MolFromSmiles(smiles)
        every = undo_esters_and_ethers(mol)
        guarded = undo_esters_and_ethers(mol, formulas=formulas)
        kept = [p for p in every if heavy_formula_of_smiles(p.key) in formulas]
        assert guarded == kept, smiles
        useful += len(guarded)
        assert len(guarded) <= len(every)
        # Asking for the substances' graphs first loses no piece that is one of them.
        graphed = undo_esters_and_ethers(mol, formulas=formulas, graphs=RULES.derivative_graphs)
        assert [p for p in guarded if p.key in listed] == [p for p in graphed if p.key in listed]
        assert set(graphed) <= set(guarded), smiles
        skipped += len(guarded) - len(graphed)
        named += sum(p.key in listed for p in graphed)
    assert useful >= 4
    assert skipped >= 1  # a piece of a listed formula but not a listed graph is not built
    assert named >= 3  # heroin, codeine methyl ether and morphine 3-propionate give morphine
