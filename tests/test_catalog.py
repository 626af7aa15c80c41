"""The indicator catalog (pipeline/indicators.yml) is usable: every id is well-formed, and a broken
edit by a user is refused with a message naming the file and the problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from pipeline.catalog import CATALOG_FILE, KINDS, CatalogError, load_catalog, parse_catalog
from tests.conftest import GOLD


def test_catalog_ids_are_unique_and_each_has_names_unit_and_kind() -> None:
    catalog = load_catalog()
    ids = [ind.id for ind in catalog.indicators]
    assert len(ids) == len(set(ids))
    for ind in catalog.indicators:
        assert ind.name_zh and ind.name_en and ind.unit and ind.description, ind.id
        assert ind.kind in KINDS, ind.id
        assert ind.units and ind.cues, ind.id
        if ind.kind == "rate":
            assert ind.units == {"%"}, f"{ind.id}: a rate is a percentage"


def test_every_indicator_of_the_labelling_guide_is_in_the_catalog() -> None:
    guide = (GOLD / "LABELING.md").read_text(encoding="utf-8")
    section = guide.split("## indicators", 1)[1].split("## How a pipeline is scored", 1)[0]
    listed = set(re.findall(r"(?:^- |\), )([a-z]+(?:_[a-z]+)*):", section, re.M))
    assert len(listed) >= 27
    assert listed <= {ind.id for ind in load_catalog().indicators}


def test_no_phrasing_points_to_two_indicators() -> None:
    owner: dict[str, str] = {}
    for ind in load_catalog().indicators:
        for cue in ind.phrasings:
            assert owner.setdefault(cue, ind.id) == ind.id, f"{cue}: {owner[cue]} and {ind.id}"


def _edited_catalog(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(CATALOG_FILE.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "indicators.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_cue_added_under_a_second_indicator_is_refused(tmp_path: Path) -> None:
    def edit(data: dict) -> None:
        by_id = {e["id"]: e for e in data["indicators"]}
        by_id["legal_education_events"]["cues"].append("法治副校长")

    path = _edited_catalog(tmp_path, edit)
    with pytest.raises(
        CatalogError, match="法治副校长.*legal_vice_principals.*legal_education_events"
    ):
        load_catalog(path)


def test_an_indicator_without_a_unit_or_a_duplicated_id_is_refused(tmp_path: Path) -> None:
    path = _edited_catalog(tmp_path, lambda d: d["indicators"][0].pop("unit"))
    with pytest.raises(CatalogError, match=f"{re.escape(str(path))}.*'unit' is missing"):
        load_catalog(path)
    path = _edited_catalog(tmp_path, lambda d: d["indicators"].append(dict(d["indicators"][0])))
    with pytest.raises(CatalogError, match="listed twice"):
        load_catalog(path)


def test_adding_an_indicator_is_a_data_edit(tmp_path: Path) -> None:
    """A user adds 法律援助案件 to the YAML: no code change, and it matches."""
    from pipeline.indicators import Matcher, match_sentence

    def edit(data: dict) -> None:
        data["indicators"].append(
            {
                "id": "legal_aid_cases",
                "name_zh": "法律援助案件",
                "name_en": "Legal aid cases",
                "unit": "件",
                "kind": "count",
                "description": "法律援助 cases handled.",
                "units": ["件"],
                "cues": ["法律援助"],
            }  # fmt: skip
        )

    matcher = Matcher(load_catalog(_edited_catalog(tmp_path, edit)))
    sentence = "全年办理法律援助案件1260件,为群众挽回经济损失3200万元。"
    start = sentence.index("1260件")
    [match] = match_sentence(matcher, sentence, [(start, start + 5, "件")])
    assert match is not None and match.indicator_id == "legal_aid_cases"


def test_unreadable_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "indicators.yml"
    path.write_text("indicators: [\n  - id: x\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=re.escape(str(path))):
        load_catalog(path)
    with pytest.raises(CatalogError, match="'indicators' list"):
        parse_catalog({"vocab": {}}, path)
