"""Published AI-incident taxonomies, kept as data: one JSON file per taxonomy.

Each file names the taxonomy, its version and its source, and lists its
dimensions with their allowed values. A review's classification is checked
against the file; the review stores the taxonomy's name and version as they
were, so a later edition of a file does not silently reinterpret it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from kit.errors import DomainError

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    help: str
    required: bool
    multiple: bool
    values: tuple[str, ...]


@dataclass(frozen=True)
class Taxonomy:
    slug: str
    name: str
    version: str
    publisher: str
    source_url: str
    description: str
    dimensions: tuple[Dimension, ...]

    def dimension(self, key: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.key == key), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "name": self.name,
            "version": self.version,
            "publisher": self.publisher,
            "source_url": self.source_url,
            "description": self.description,
            "dimensions": [
                {
                    "key": d.key,
                    "label": d.label,
                    "help": d.help,
                    "required": d.required,
                    "multiple": d.multiple,
                    "values": list(d.values),
                }
                for d in self.dimensions
            ],
        }


def _load(path: Path) -> Taxonomy:
    raw = json.loads(path.read_text(encoding="utf-8"))
    dims = tuple(
        Dimension(
            key=d["key"],
            label=d["label"],
            help=d.get("help", ""),
            required=bool(d.get("required")),
            multiple=bool(d.get("multiple")),
            values=tuple(d["values"]),
        )
        for d in raw["dimensions"]
    )
    if raw["slug"] != path.stem:
        raise ValueError(f"{path.name}: slug {raw['slug']!r} differs from the file name")
    return Taxonomy(
        slug=raw["slug"],
        name=raw["name"],
        version=str(raw["version"]),
        publisher=raw.get("publisher", ""),
        source_url=raw["source_url"],
        description=raw.get("description", ""),
        dimensions=dims,
    )


@cache
def all_taxonomies() -> dict[str, Taxonomy]:
    """Return the taxonomies by slug, read once per process."""
    return {t.slug: t for t in map(_load, sorted(HERE.glob("*.json")))}


def get(slug: str) -> Taxonomy | None:
    return all_taxonomies().get(slug)


def clean_classification(
    slug: str, classification: Any, *, complete: bool = False
) -> dict[str, Any]:
    """Check a classification against its taxonomy and return it normalised.

    Single-valued dimensions hold a string, multiple-valued ones a list of
    distinct strings in the file's order. With `complete`, every required
    dimension must be answered (publishing asks for that). Errors name the
    dimension: field "classification.<key>".
    """
    taxonomy = get(slug)
    if taxonomy is None:
        raise DomainError(
            f"Unknown taxonomy {slug!r}; choose one of {', '.join(sorted(all_taxonomies()))}.",
            field="taxonomy",
        )
    if not isinstance(classification, dict):
        raise DomainError("classification maps dimensions to values.", field="classification")
    cleaned: dict[str, Any] = {}
    for key, value in classification.items():
        dim = taxonomy.dimension(str(key))
        if dim is None:
            raise DomainError(
                f"{taxonomy.name} has no dimension {key!r}.", field=f"classification.{key}"
            )
        field = f"classification.{key}"
        if value in (None, "", []):
            continue
        if dim.multiple:
            values = value if isinstance(value, list) else [value]
            if not all(isinstance(v, str) for v in values):
                raise DomainError(f"{dim.label}: values are strings.", field=field)
            bad = [v for v in values if v not in dim.values]
            if bad:
                raise DomainError(
                    f"{dim.label}: {bad[0]!r} is not one of the taxonomy's values.", field=field
                )
            cleaned[dim.key] = [v for v in dim.values if v in values]
        else:
            if not isinstance(value, str) or value not in dim.values:
                raise DomainError(
                    f"{dim.label}: {value!r} is not one of the taxonomy's values.", field=field
                )
            cleaned[dim.key] = value
    if complete:
        for dim in taxonomy.dimensions:
            if dim.required and dim.key not in cleaned:
                raise DomainError(
                    f"{dim.label} is required by {taxonomy.name}.",
                    field=f"classification.{dim.key}",
                )
    return cleaned
