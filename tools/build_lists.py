"""Turn researched list tables (CSV) into classwide's substance registry and list files.

Each CSV row is one item of a legal list, with its structure, names, sources and dates
(the columns are described in the module's ``COLUMNS``). This script

1. reads every ``data/lists/*.csv`` (or the files given);
2. checks each structure two ways: OPSIN's parse of the legal or IUPAC name and of the
   other names must give the same InChIKey (the skeleton, at least), or a second source
   named in the row must agree (a formula is recomputed and compared);
3. merges rows that name the same substance (by structure, with stereo where a listing
   names one stereoisomer), keeps the substances already in the registry, and drops a
   name or CAS number that would point at two structures (it says which);
4. writes ``rules/substances/listed-*.yaml`` and one list file per list id, then loads the
   whole rule set to prove the files are valid.

Prints what it did and every problem it found; run it again after correcting a CSV:

    python tools/build_lists.py [FILE.csv ...]
"""

from __future__ import annotations

import csv
import re
import sys
from collections import defaultdict
from pathlib import Path

import yaml
from rdkit import Chem, rdBase
from rdkit.Chem.rdMolDescriptors import CalcMolFormula

from classwide._lists import SCOPE_WORDS, STRUCTURELESS_KINDS, cas_is_valid
from classwide._names import opsin_smiles
from classwide._rules import load_rules
from classwide._standardize import parent_key, parse_structure, standardize

sys.path.insert(0, str(Path(__file__).resolve().parent))
from verify_structures import inchikey  # noqa: E402 - the sibling script's helper

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "src" / "classwide" / "rules"
COLUMNS = (
    "list_id,item,category,code,narcotic,name,name_zh,synonyms,chemical_name,cas,smiles,stereo,"
    "scope,structure_kind,smiles_source,second_source,second_check,since,since_exact,instrument,"
    "note"
).split(",")

# Where each list goes, its header, and the date by which an undated old listing surely stood.
LISTS = {
    "US-CSA-I": ("US/us-csa-schedule-i.yaml", "1971-05-01"),
    "US-CSA-II": ("US/us-csa-schedule-ii.yaml", "1971-05-01"),
    "US-CSA-III": ("US/us-csa-schedule-iii.yaml", "1971-05-01"),
    "US-CSA-IV": ("US/us-csa-schedule-iv.yaml", "1971-05-01"),
    "US-CSA-V": ("US/us-csa-schedule-v.yaml", "1971-05-01"),
    "US-LIST-I": ("US/us-list-i-chemicals.yaml", "1989-04-24"),
    "US-LIST-II": ("US/us-list-ii-chemicals.yaml", "1989-04-24"),
    "UN-1961-I": ("UN/un-1961-schedule-i.yaml", "1964-12-13"),
    "UN-1961-II": ("UN/un-1961-schedule-ii.yaml", "1964-12-13"),
    "UN-1961-IV": ("UN/un-1961-schedule-iv.yaml", "1964-12-13"),
    "UN-1971-I": ("UN/un-1971-schedule-i.yaml", "1976-08-16"),
    "UN-1971-II": ("UN/un-1971-schedule-ii.yaml", "1976-08-16"),
    "UN-1971-III": ("UN/un-1971-schedule-iii.yaml", "1976-08-16"),
    "UN-1971-IV": ("UN/un-1971-schedule-iv.yaml", "1976-08-16"),
    "UN-1988-I": ("UN/un-1988-table-i.yaml", "1990-11-11"),
    "UN-1988-II": ("UN/un-1988-table-ii.yaml", "1990-11-11"),
    "CN-NON-MEDICAL": ("CN/cn-non-medical-catalogue.yaml", "2014-01-01"),
    "CN-MEDICAL-NARCOTIC": ("CN/cn-medical-narcotic-drugs.yaml", "2014-01-01"),
    "CN-MEDICAL-PSYCHOTROPIC": ("CN/cn-medical-psychotropic-substances.yaml", "2014-01-01"),
    "CN-PRECURSORS": ("CN/cn-precursor-chemicals.yaml", "2005-11-01"),
}


def slug(text: str) -> str:
    """A substance id from a name."""
    text = text.lower().replace("α", "alpha").replace("β", "beta").replace("ω", "omega")
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:60] or "substance"


def name_key(text: str) -> str:
    """How names are compared (as the rule set compares them)."""
    return " ".join(text.replace("\u2032", "'").strip().lower().split())


def read_rows(paths: list[Path]) -> list[dict[str, str]]:
    """Every row of every CSV, with its file and line for messages."""
    rows = []
    for path in paths:
        with open(path, encoding="utf-8", newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                row = {k: (v or "").strip() for k, v in row.items() if k}
                row["_where"] = f"{path.name}:{number}"
                rows.append(row)
    return rows


def keys_of(smiles: str) -> tuple[str, str, str] | None:
    """(parent key, isomeric parent SMILES, formula) of a structure, or None."""
    try:
        with rdBase.BlockLogs():
            parent = standardize(parse_structure(smiles))
            formula = CalcMolFormula(Chem.MolFromSmiles(smiles))
    except Exception:  # noqa: BLE001 - a row with a bad structure is reported, not fatal
        return None
    return parent_key(parent.mol), parent.smiles, formula


def opsin_checks(rows: list[dict[str, str]]) -> None:
    """Set ``_opsin`` on every row: full, skeleton, differs, no-parse or no-smiles."""
    names, owners = [], []
    for i, row in enumerate(rows):
        for name in [
            row.get("chemical_name", ""),
            row.get("name", ""),
            *row.get("synonyms", "").split(";"),
        ]:
            name = " ".join(name.split())
            if name and re.search(r"[A-Za-z]{3}", name):
                names.append(name)
                owners.append(i)
    parsed = opsin_smiles(names) if names else []
    found: dict[int, set[str]] = defaultdict(set)
    for owner, smiles in zip(owners, parsed, strict=True):
        key = inchikey(smiles)
        if key:
            found[owner].add(key)
    for i, row in enumerate(rows):
        own = inchikey(row.get("smiles"))
        keys = found.get(i, set())
        if own is None:
            row["_opsin"] = "no-smiles"
        elif not keys:
            row["_opsin"] = "no-parse"
        elif own in keys:
            row["_opsin"] = "full"
        elif own.split("-")[0] in {k.split("-")[0] for k in keys}:
            row["_opsin"] = "skeleton"
        else:
            row["_opsin"] = "differs"


def verification(row: dict[str, str], formula: str | None) -> tuple[str, str, str, list[str]]:
    """(structure, formula, formula_source, problems) for one row."""
    problems = []
    from_opsin = row.get("smiles_source", "").startswith("opsin")
    checks = []
    if row["_opsin"] in ("full", "skeleton") and not from_opsin:
        checks.append("opsin")
    recorded_formula, recorded_source = "", ""
    second = row.get("second_check", "")
    match = re.search(r"formula\s+([A-Z][A-Za-z0-9]*)", second)
    if match and formula:
        if match.group(1) == formula:
            recorded_formula, recorded_source = formula, row.get("second_source", "")
            checks.append("formula")
        else:
            problems.append(f"formula {match.group(1)} at the second source, structure {formula}")
    elif second and row.get("second_source") and not match:
        checks.append(second)
    if row["_opsin"] == "differs":
        problems.append("OPSIN's parse of its names gives another structure")
    structure = "verified" if checks and not problems else "unverified"
    return structure, recorded_formula, recorded_source, problems


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or sorted((ROOT / "data" / "lists").glob("*.csv"))
    rows = read_rows(paths)
    print(f"{len(rows)} rows from {len(paths)} files")
    opsin_checks(rows)
    existing = load_rules()
    # Every known substance by its skeleton (the parent key without stereo): a row names
    # one of them when its stereo is the same, or when one of its names is theirs.
    known: dict[str, list[dict]] = defaultdict(list)
    by_name: dict[str, str] = {}
    for substance in existing.substances.values():
        record = {"id": substance.id, "iso": substance.isomeric_key, "names": set()}
        record["names"] = {name_key(n) for n in substance.names()}
        if substance.key:
            known[substance.key].append(record)
        for n in record["names"]:
            by_name.setdefault(n, substance.id)
    taken_ids = set(existing.substances)
    new_substances: dict[str, dict] = {}
    entries: dict[str, list[dict]] = defaultdict(list)
    problems: list[str] = []
    for row in rows:
        where, list_id = row["_where"], row.get("list_id", "")
        if list_id not in LISTS:
            problems.append(f"{where}: unknown list id {list_id!r}")
            continue
        kind = row.get("structure_kind", "") or "single"
        if kind not in ("single", *STRUCTURELESS_KINDS):
            kind = "no-structure"
        smiles = row.get("smiles", "") if kind == "single" else ""
        keys = keys_of(smiles) if smiles else None
        if smiles and keys is None:
            problems.append(f"{where}: {row.get('name')}: SMILES does not parse, left without one")
        if keys is None and kind == "single":
            kind = "no-structure"
        stereo = row.get("stereo", "") or "any"
        row_names = {
            name_key(n)
            for n in [
                row.get("name", ""),
                row.get("name_zh", ""),
                *row.get("synonyms", "").split(";"),
            ]
            if n.strip()
        }
        if keys is not None:
            flat = keys[0] == keys[1]
            if re.match(r"(?i)race", row.get("name", "")):
                stereo = "unspecified" if flat else "any"
            if stereo == "as-drawn" and flat:
                problems.append(f"{where}: {row.get('name')}: as-drawn but no stereo drawn; any")
                stereo = "any"
        if stereo not in ("any", "as-drawn", "unspecified"):
            stereo = "any"
        substance_id = None
        if keys is not None:
            same = known.get(keys[0], [])
            exact = [r for r in same if r["iso"] == keys[1]]
            named = [r for r in same if r["names"] & row_names]
            if exact:
                substance_id = exact[0]["id"]
            elif named and stereo == "any":
                substance_id = named[0]["id"]
        else:
            hits = {by_name[n] for n in row_names if n in by_name}
            if len(hits) == 1:
                substance_id = hits.pop()
        primary = name_key(row.get("name", ""))
        if substance_id is None and keys is not None and primary in by_name:
            # The name is already a substance's, with another structure: one of the two
            # drawings is wrong. Keep the one OPSIN's parse of the names agrees with.
            other = by_name[primary]
            theirs = new_substances.get(other)
            ours_good = row["_opsin"] in ("full", "skeleton")
            theirs_good = theirs is None or theirs["_opsin"] in ("full", "skeleton")
            if theirs is not None and ours_good and not theirs_good and theirs["smiles"]:
                problems.append(
                    f"{where}: {row.get('name')}: replaces the structure of {other} "
                    "(OPSIN agrees with this row, not with the other)"
                )
                theirs.update(
                    smiles=keys[1],
                    _opsin=row["_opsin"],
                    structure="verified",
                    smiles_source=row.get("smiles_source", ""),
                    formula="",
                    formula_source="",
                )
                known[keys[0]].append({"id": other, "iso": keys[1], "names": set(row_names)})
                substance_id = other
            elif theirs_good:
                problems.append(
                    f"{where}: {row.get('name')}: its structure differs from {other}'s, which "
                    "OPSIN or the registry supports: the listing points at " + other
                )
                substance_id = other
        if substance_id is None:
            # The id is the law's name when short, else its first short synonym (an INN).
            choices = [
                row.get("name", ""),
                *row.get("synonyms", "").split(";"),
                row.get("chemical_name", ""),
            ]
            short = [slug(c) for c in choices if c.strip() and len(slug(c)) <= 30]
            base = short[0] if short else slug(row.get("name") or "substance")
            substance_id = base
            n = 2
            while substance_id in taken_ids:
                substance_id = f"{base}-{n}"
                n += 1
            taken_ids.add(substance_id)
            if keys is not None:
                known[keys[0]].append({"id": substance_id, "iso": keys[1], "names": set(row_names)})
            for n in row_names:
                by_name.setdefault(n, substance_id)
            structure, formula, formula_source, why = (
                verification(row, keys[2] if keys else None) if keys else ("unverified", "", "", [])
            )
            problems += [f"{where}: {row.get('name')}: {p}" for p in why]
            new_substances[substance_id] = {
                "id": substance_id,
                "name": row.get("name") or row.get("chemical_name"),
                "name_zh": row.get("name_zh", ""),
                "chemical_name": row.get("chemical_name", ""),
                "synonyms": [s.strip() for s in row.get("synonyms", "").split(";") if s.strip()],
                "cas": row.get("cas") or None,
                "smiles": keys[1] if keys else None,
                "structure_kind": kind,
                "smiles_source": row.get("smiles_source", ""),
                "second_source": row.get("second_source", ""),
                "second_check": ", ".join(
                    c
                    for c in (["opsin"] if row["_opsin"] in ("full", "skeleton") else [])
                    + ([row["second_check"]] if row.get("second_check") else [])
                ),
                "formula": formula,
                "formula_source": formula_source,
                "structure": structure if kind == "single" else "unverified",
                "note": row.get("note", "") if kind != "single" else "",
                "_opsin": row["_opsin"],
            }
        elif substance_id in new_substances:
            merged = new_substances[substance_id]
            for field in ("name_zh", "chemical_name", "cas"):
                if not merged.get(field) and row.get(field):
                    merged[field] = row[field]
            extra = [s.strip() for s in row.get("synonyms", "").split(";") if s.strip()]
            extra.append(row.get("name", ""))
            merged["synonyms"] = list(
                dict.fromkeys([*merged["synonyms"], *[e for e in extra if e]])
            )
        scope = [
            w for w in (x.strip() for x in row.get("scope", "").split(";")) if w in SCOPE_WORDS
        ]
        entry = {
            "substance": substance_id,
            "name": row.get("name") or None,
            "item": row.get("item") or None,
            "category": row.get("category") or None,
            "code": row.get("code") or None,
            "narcotic": {"N": True, "NN": False}.get(row.get("narcotic", "")),
            "stereo": stereo,
            "scope": scope,
            "since": row.get("since") or None,
            "since_exact": row.get("since_exact", "true").lower() != "false",
            "instrument": row.get("instrument") or list_id,
            "source": _listing_source(row),
            "verified": "V" if list_id.startswith("US-") else "P",
            "note": row.get("note", ""),
        }
        if not re.match(r"^\d{4}-\d{2}-\d{2}$", entry["since"] or ""):
            if entry["since"]:
                problems.append(f"{where}: since {entry['since']!r} is not a date; list default")
            entry["since"] = LISTS[list_id][1]
            entry["since_exact"] = False
        entries[list_id].append(entry)
    _names_and_cas(new_substances, existing, problems)
    _write(new_substances, entries, existing, problems)
    _migrate_china(problems)
    for problem in problems:
        print("PROBLEM", problem)
    rules = load_rules()
    print(f"loaded: {len(rules.substances)} substances, {len(rules.lists)} lists")


def _listing_source(row: dict[str, str]) -> str:
    for text in (row.get("instrument", ""), row.get("note", "")):
        found = re.search(r"https?://\S+", text)
        if found:
            return found.group(0).rstrip(").,;")
    return ""


def _stereo_label(smiles: str | None) -> str:
    """CIP labels of a structure's stereocentres, e.g. "(S)" or "(2S,3R)"; "" when none."""
    if not smiles:
        return ""
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return ""
    centres = Chem.FindMolChiralCenters(mol, includeUnassigned=False, useLegacyImplementation=False)
    if not centres:
        return ""
    return (
        "("
        + ",".join(f"{i + 1}{label}" if len(centres) > 1 else label for i, label in centres)
        + ")"
    )


def _names_and_cas(new: dict[str, dict], existing, problems: list[str]) -> None:
    """Make every name and CAS number point at one structure only.

    A name that is some substance's own name belongs to it (a registry substance first,
    then one drawn without stereo, then a checked one); another substance claiming the
    same name gets its stereo in its name ("methamphetamine (S)"). A synonym, CAS number
    or chemical name claimed by several substances is dropped from all of them.
    """
    owners: dict[str, list[str]] = defaultdict(list)
    for substance in existing.substances.values():
        owners[name_key(substance.name)].append(substance.id)
        for label in substance.names():
            owners.setdefault(name_key(label), [])
            if substance.id not in owners[name_key(label)]:
                owners[name_key(label)].append(substance.id)

    def rank(sid: str) -> tuple[int, int, int]:
        data = new.get(sid)
        if data is None:
            return (0, 0, 0)
        flat = keys_of(data["smiles"]) if data["smiles"] else None
        return (
            1,
            0 if flat and flat[0] == flat[1] else 1,
            0 if data["structure"] == "verified" else 1,
        )

    primaries: dict[str, list[str]] = defaultdict(list)
    for sid, data in new.items():
        primaries[name_key(data["name"])].append(sid)
    for key, sids in primaries.items():
        claimants = sorted(set(sids) | {o for o in owners.get(key, []) if o not in new}, key=rank)
        for loser in claimants[1:]:
            if loser not in new:
                continue
            data = new[loser]
            label = _stereo_label(data["smiles"]) or f"({loser})"
            problems.append(
                f"{loser}: its name {data['name']!r} is {claimants[0]}'s: named {data['name']} {label}"
            )
            data["name"] = f"{data['name']} {label}"
    claimed: dict[str, set[str]] = defaultdict(set)
    for key, sids in owners.items():
        claimed[key].update(sids)
    for sid, data in new.items():
        for label in [
            data["name"],
            sid,
            *data["synonyms"],
            data["chemical_name"],
            data["name_zh"],
            data["cas"] or "",
        ]:
            if label:
                claimed[name_key(label)].add(sid)
    own_name = {name_key(d["name"]): sid for sid, d in new.items()}
    own_name.update({name_key(s.name): s.id for s in existing.substances.values()})
    for sid, data in new.items():
        kept = []
        for label in data["synonyms"]:
            key = name_key(label)
            if key == name_key(data["name"]):
                continue
            if len(claimed[key]) > 1 or own_name.get(key, sid) != sid:
                problems.append(
                    f"{sid}: synonym {label!r} also names {sorted(claimed[key] - {sid})}: dropped"
                )
            else:
                kept.append(label)
        data["synonyms"] = kept
        for field in ("chemical_name", "name_zh"):
            key = name_key(data[field]) if data[field] else ""
            if key and (len(claimed[key]) > 1 or own_name.get(key, sid) != sid):
                problems.append(f"{sid}: {field} {data[field]!r} is shared: dropped")
                data[field] = ""
        cas = data["cas"]
        if cas and (len(claimed[name_key(cas)]) > 1 or not cas_is_valid(cas)):
            problems.append(f"{sid}: CAS {cas} shared or invalid: dropped")
            data["cas"] = None


def _clean(mapping: dict) -> dict:
    return {k: v for k, v in mapping.items() if v not in ("", None, []) and not k.startswith("_")}


def _write(new: dict[str, dict], entries: dict[str, list[dict]], existing, problems) -> None:
    groups: dict[str, list[dict]] = defaultdict(list)
    first_list: dict[str, str] = {}
    for list_id, items in entries.items():
        for entry in items:
            first_list.setdefault(entry["substance"], list_id)
    for sid, data in new.items():
        prefix = first_list.get(sid, "US").split("-")[0].lower()
        item = _clean(data)
        item.setdefault("smiles", None)
        groups[prefix].append(item)
    for prefix, items in groups.items():
        path = RULES / "substances" / f"listed-{prefix}.yaml"
        header = (
            "# Substances named in the lists, generated by tools/build_lists.py from researched\n"
            "# tables: each structure with its source and its second check (OPSIN's parse of the\n"
            "# legal or IUPAC name, or a second source). `structure: unverified` = one source only.\n"
        )
        body = yaml.safe_dump(
            {"kind": "substances", "substances": items},
            allow_unicode=True,
            sort_keys=False,
            width=100,
        )
        path.write_text(header + body, encoding="utf-8")
    for list_id, items in entries.items():
        file, _ = LISTS[list_id]
        path = RULES / file
        if path.exists():
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        else:
            data = _new_list(list_id)
        present = {e["substance"] for e in data.get("entries", [])}
        for entry in items:
            if entry["substance"] in present:
                for old in data["entries"]:
                    if old["substance"] == entry["substance"]:
                        for field in ("item", "category", "narcotic", "scope"):
                            if entry.get(field) not in (None, [], "") and field not in old:
                                old[field] = entry[field]
                continue
            present.add(entry["substance"])
            clean = _clean(entry)
            if clean.get("stereo") == "any":
                clean.pop("stereo")
            if "source" not in clean:
                clean["source"] = data["sources"][0]["url"]
            data.setdefault("entries", []).append(clean)
        path.write_text(
            yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100), encoding="utf-8"
        )


# China reorganised its catalogues in 2025: the 2013 narcotic and psychotropic catalogues
# and the non-medical supplementary list became one non-medical catalogue and two
# medical-use catalogues. The old lists' entries move to the new ones (keeping their own
# dates and sources), and the old ids stay as aliases.
CHINA_MOVES = {
    "CN/cn-non-medical-supplementary-list.yaml": ("CN-NON-MEDICAL-LIST", None),
    "CN/cn-narcotic-drugs-catalogue.yaml": ("CN-NARCOTIC-DRUGS", "CN-MEDICAL-NARCOTIC"),
    "CN/cn-psychotropic-substances-catalogue.yaml": ("CN-PSYCHOTROPIC", "CN-MEDICAL-PSYCHOTROPIC"),
}
MEDICAL_NARCOTICS = {"fentanyl", "alfentanil", "sufentanil", "remifentanil"}


def _migrate_china(problems: list[str]) -> None:
    files = {
        k: RULES / LISTS[k][0]
        for k in ("CN-NON-MEDICAL", "CN-MEDICAL-NARCOTIC", "CN-MEDICAL-PSYCHOTROPIC")
    }
    if not all(p.exists() for p in files.values()):
        return
    new = {k: yaml.safe_load(p.read_text(encoding="utf-8")) for k, p in files.items()}
    for old_file, (old_id, home) in CHINA_MOVES.items():
        path = RULES / old_file
        if not path.exists():
            continue
        old = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in old.get("entries", []):
            target = home or "CN-NON-MEDICAL"
            if home == "CN-MEDICAL-NARCOTIC" and entry["substance"] not in MEDICAL_NARCOTICS:
                target = "CN-NON-MEDICAL"
            present = {e["substance"]: e for lst in new.values() for e in lst["entries"]}
            if entry["substance"] in present:
                # The researched row stands; keep the old entry's date when it is exact and
                # earlier, since it was checked against its own source.
                kept = present[entry["substance"]]
                if entry.get("since_exact", True) and str(entry["since"]) < str(kept["since"]):
                    kept.update(
                        since=entry["since"],
                        since_exact=True,
                        instrument=entry["instrument"],
                        source=entry["source"],
                    )
                continue
            entry.setdefault("note", f"from {old_id}")
            new[target]["entries"].append(entry)
        aliases_of = home or "CN-NON-MEDICAL"
        new[aliases_of].setdefault("aliases", [])
        if old_id not in new[aliases_of]["aliases"]:
            new[aliases_of]["aliases"].append(old_id)
        path.unlink()
        problems.append(
            f"{old_file}: moved into {aliases_of} and the 2025 catalogues; {old_id} is an alias"
        )
    for key, data in new.items():
        files[key].write_text(
            yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100), encoding="utf-8"
        )


def _new_list(list_id: str) -> dict:
    titles = {
        "US-CSA-III": ("Schedule III", "21 CFR 1308.13", "III"),
        "US-CSA-IV": ("Schedule IV", "21 CFR 1308.14", "IV"),
        "US-CSA-V": ("Schedule V", "21 CFR 1308.15", "V"),
        "US-LIST-II": ("List II chemicals", "21 CFR 1310.02(b)", None),
        "UN-1961-II": (
            "Single Convention on Narcotic Drugs, 1961, Schedule II",
            "Single Convention on Narcotic Drugs, 1961, Schedule II",
            "II",
        ),
        "UN-1961-IV": (
            "Single Convention on Narcotic Drugs, 1961, Schedule IV",
            "Single Convention on Narcotic Drugs, 1961, Schedule IV",
            "IV",
        ),
        "UN-1971-I": (
            "Convention on Psychotropic Substances, 1971, Schedule I",
            "Convention on Psychotropic Substances, 1971, Schedule I",
            "I",
        ),
        "UN-1971-II": (
            "Convention on Psychotropic Substances, 1971, Schedule II",
            "Convention on Psychotropic Substances, 1971, Schedule II",
            "II",
        ),
        "UN-1971-III": (
            "Convention on Psychotropic Substances, 1971, Schedule III",
            "Convention on Psychotropic Substances, 1971, Schedule III",
            "III",
        ),
        "UN-1971-IV": (
            "Convention on Psychotropic Substances, 1971, Schedule IV",
            "Convention on Psychotropic Substances, 1971, Schedule IV",
            "IV",
        ),
        "UN-1988-II": (
            "United Nations Convention against Illicit Traffic, 1988, Table II",
            "1988 Convention, Table II",
            None,
        ),
        "CN-NON-MEDICAL": (
            "非药用类麻醉药品和精神药品目录: catalogue of narcotic drugs and psychotropic substances with non-medical use (2025)",
            "Catalogue of non-medical narcotic drugs and psychotropic substances (2025)",
            None,
        ),
        "CN-MEDICAL-NARCOTIC": (
            "药用类麻醉药品目录（2025年版）: catalogue of medical-use narcotic drugs (2025)",
            "Catalogue of medical-use narcotic drugs (2025 edition)",
            None,
        ),
        "CN-MEDICAL-PSYCHOTROPIC": (
            "药用类精神药品目录（2025年版）: catalogue of medical-use psychotropic substances (2025)",
            "Catalogue of medical-use psychotropic substances (2025 edition)",
            None,
        ),
    }
    title, citation, schedule = titles[list_id]
    jurisdiction = list_id.split("-")[0]
    status = "precursor" if list_id in ("US-LIST-II", "UN-1988-II") else "listed"
    sources = {
        "US": [
            {
                "title": "Title 21 CFR (eCFR)",
                "url": "https://www.ecfr.gov/current/title-21/chapter-II",
            }
        ],
        "UN": [
            {
                "title": "INCB Yellow List (1961 Convention)",
                "url": "https://www.incb.org/incb/en/narcotic-drugs/Yellowlist/yellow-list.html",
            },
            {
                "title": "INCB Green List (1971 Convention)",
                "url": "https://www.incb.org/incb/en/psychotropics/green-list.html",
            },
            {
                "title": "INCB Red List (1988 Convention)",
                "url": "https://www.incb.org/incb/en/precursors/Red_Forms/red-list.html",
            },
        ],
        "CN": [
            {
                "title": "NMPA announcement 2025 No. 55 (not read in full)",
                "url": "https://www.nmpa.gov.cn/directory/web/nmpa/xxgk/ggtg/ypggtg/ypqtggtg/20250728092519123.html",
            },
            {
                "title": "copy of the 2025 catalogues (OverdriveLab)",
                "url": "https://github.com/OverdriveLab/overdrive-wiki/blob/2972448cd5b088f3893d38bd2a8eb87ba398836e/_others/drug_scheduling.md",
            },
            {
                "title": "catalogues with structures (Benzyl-titanium)",
                "url": "https://github.com/Benzyl-titanium/Structural-formula",
            },
        ],
    }
    jurisdiction = list_id.split("-")[0]
    status = "precursor" if list_id in ("US-LIST-II", "UN-1988-II") else "listed"
    out = {
        "kind": "list",
        "id": list_id,
        "title": title,
        "jurisdiction": jurisdiction,
        "status": status,
        "citation": citation,
        "revised": "2026-11-30",
        "sources": sources[jurisdiction],
        "isomers": "as each entry's scope says; the match ignores stereo unless an entry names one stereoisomer",
        "entries": [],
    }
    if schedule:
        out["schedule"] = schedule
    return out


if __name__ == "__main__":
    main()
