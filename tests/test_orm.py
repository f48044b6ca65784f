"""Typed access through SQLModel: the generated classes match the column registry and query every table."""

from __future__ import annotations

from pathlib import Path

from ptedb.schema import generate
from ptedb.schema.columns import TABLES
from sqlmodel import SQLModel, select

from ptedb import orm
from ptedb.readers import session

CLASSES = {
    cls.__tablename__: cls
    for cls in vars(orm).values()
    if isinstance(cls, type) and issubclass(cls, SQLModel) and cls is not SQLModel
}


def test_orm_module_is_current() -> None:
    assert generate.ORM.read_text(encoding="utf-8") == generate.orm_text(), (
        "src/ptedb/orm.py is stale: run python -m ptedb.schema.generate and commit it"
    )


def test_every_table_has_a_class_with_its_columns() -> None:
    assert sorted(CLASSES) == sorted(TABLES)
    for name, cls in CLASSES.items():
        assert list(cls.model_fields) == [c.name for c in TABLES[name].columns]


def test_every_table_is_queried_through_its_class(built: Path) -> None:
    with session(built / "dist") as s:
        for name, cls in CLASSES.items():
            rows = s.exec(select(cls)).all()
            assert rows, name
            assert all(isinstance(r, cls) for r in rows)
        typed = s.exec(select(orm.Ceg).where(orm.Ceg.category == "prompting")).all()
        assert typed and all(r.category == "prompting" for r in typed)
