"""The cache of compiled rule sets: the same rules, any change a new entry, never an error."""

from __future__ import annotations

import os
import pickle

import pytest

from classwide import _cache
from classwide._rules import load_rules

EXTRA = b"""kind: substances
substances:
  - id: cache-probe
    name: 2-methylpentan-2-ol (a test substance)
    smiles: CCCC(C)(C)O
    formula: C6H14O
    structure: unverified
"""


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CLASSWIDE_CACHE_DIR", str(tmp_path))
    return tmp_path


def _summary(rules):
    return (
        rules.version,
        [r.id for r in rules.rules],
        [(listed.id, len(listed.entries)) for listed in rules.lists],
        sorted(rules.substances),
        sorted(rules.index),
    )


def test_a_second_load_is_read_from_the_cache_and_is_the_same_rule_set(cache_dir, monkeypatch):
    first = load_rules()
    assert len(list(cache_dir.glob("rules-*.pickle"))) == 1

    def no_compiling(*args):
        raise AssertionError("compiled again although cached")

    monkeypatch.setattr("classwide._rules._compile", no_compiling)
    second = load_rules()
    assert _summary(second) == _summary(first)
    # A cached structure is a working RDKit molecule.
    scaffold = second.rules[0].scaffolds[0]
    assert scaffold.core.GetNumAtoms() == first.rules[0].scaffolds[0].core.GetNumAtoms()


def test_a_changed_rule_file_is_compiled_again(cache_dir):
    plain = load_rules(packaged=False, texts=[("substances/probe.yaml", EXTRA)])
    changed = EXTRA.replace(b"a test substance)", b"a changed test substance)")
    other = load_rules(packaged=False, texts=[("substances/probe.yaml", changed)])
    assert len(list(cache_dir.glob("rules-*.pickle"))) == 2
    assert plain.substances["cache-probe"].name != other.substances["cache-probe"].name


def test_a_damaged_or_foreign_cache_file_is_ignored_and_written_again(cache_dir):
    files = [("substances/probe.yaml", EXTRA)]
    load_rules(packaged=False, texts=files)
    (path,) = cache_dir.glob("rules-*.pickle")
    path.write_bytes(b"not a pickle")
    assert "cache-probe" in load_rules(packaged=False, texts=files).substances
    # A file under the right name that holds another key is not used.
    path.write_bytes(pickle.dumps(("another key", "not a rule set")))
    assert "cache-probe" in load_rules(packaged=False, texts=files).substances
    stored_key, _ = pickle.loads(path.read_bytes())
    assert stored_key == _cache.key(files)


def test_the_cache_can_be_turned_off_and_a_folder_that_cannot_be_written_is_no_error(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("CLASSWIDE_CACHE_DIR", "off")
    assert _cache.folder() is None
    assert (
        "cache-probe" in load_rules(packaged=False, texts=[("substances/p.yaml", EXTRA)]).substances
    )
    blocked = tmp_path / "a-file"
    blocked.write_text("a file where the folder would be")
    monkeypatch.setenv("CLASSWIDE_CACHE_DIR", str(blocked))
    assert (
        "cache-probe" in load_rules(packaged=False, texts=[("substances/p.yaml", EXTRA)]).substances
    )


def test_only_the_newest_files_are_kept(cache_dir):
    for n in range(_cache.KEEP + 3):
        text = EXTRA.replace(b"a test substance)", f"test substance {n})".encode())
        load_rules(packaged=False, texts=[("substances/probe.yaml", text)])
    assert len(list(cache_dir.glob("rules-*.pickle"))) == _cache.KEEP


def test_a_rule_sets_prefilter_is_kept_beside_it_and_settles_the_same(cache_dir):
    from classwide._prefilter import Prefilter

    rules = load_rules()
    built = Prefilter.for_rules(rules)
    assert len(list(cache_dir.glob("prefilter-*.pickle"))) == 1
    cached = Prefilter.for_rules(rules)
    assert cached is not built
    records = [
        "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",  # fentanyl: a listed structure
        "CC(=O)Oc1ccc2c3c1OC1C(OC(C)=O)C=CC4C(C2)N(C)CCC341",  # heroin, an ester of morphine
        "CCCCCn1cc(C(=O)c2cccc3ccccc23)c2ccccc21",  # JWH-018: the cannabinoid class
        "CCOC(=O)c1ccccc1",  # ethyl benzoate: settled
        "c1ccccc1",
        "CC(C)Cc1ccc(C(C)C(=O)O)cc1",  # ibuprofen: settled
    ]
    assert [cached.out_of_scope(s) for s in records] == [built.out_of_scope(s) for s in records]
    assert [built.out_of_scope(s) for s in records] == [False, False, False, True, True, True]


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="no file owners on this system")
def test_a_cache_folder_or_file_that_others_may_write_is_not_read(cache_dir):
    files = [("substances/probe.yaml", EXTRA)]
    load_rules(packaged=False, texts=files)
    (path,) = cache_dir.glob("rules-*.pickle")
    # A pickle planted by someone else would run code when read: a file others may write
    # is ignored (and compiled again), and so is a folder others may write.
    path.write_bytes(pickle.dumps((_cache.key(files), "planted")))
    path.chmod(0o666)
    assert _cache.load(_cache.key(files)) is None
    path.chmod(0o600)
    assert _cache.load(_cache.key(files)) == "planted"
    cache_dir.chmod(0o777)
    try:
        assert _cache.load(_cache.key(files)) is None
        assert "cache-probe" in load_rules(packaged=False, texts=files).substances
    finally:
        cache_dir.chmod(0o700)
