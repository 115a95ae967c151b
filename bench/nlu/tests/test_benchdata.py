"""Benchmark data loading on small fixtures: convlab templates, labels, sampling, splits, Rasa YAML."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import yaml
from benchdata import Item, labelled_turns, read_templates, sample, stratified_split
from rasa_yaml import markup, to_rasa_yaml

from switchboard.nlu import trainingdata

MULTIWOZ = {
    "Hotel-Inform": {"none;": ["I need a hotel .", "A  cheap   hotel please"], "Area;": ["In the north ."]},
    "general-thank": {"none;": ["thanks", "I need a hotel ."]},  # seen under two labels: dropped
}
CROSSWOZ = {
    "General+bye+none": ["再见", "好的，再见"],
    "Inform+景点+名称": ["我想去[Inform+景点+名称]玩"],
    "Inform+景点+名称*Request+景点+门票": ["[Inform+景点+名称]门票多少"],  # two intents: no single label
}


def archive_with(tmp_path: Path) -> Path:
    path = tmp_path / "convlab-3.0.1.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for corpus, content in (("multiwoz", MULTIWOZ), ("crosswoz", CROSSWOZ)):
            data = json.dumps(content, ensure_ascii=False).encode()
            info = tarfile.TarInfo(f"convlab-3.0.1/convlab/nlg/template/{corpus}/auto_user_template_nlg.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_multiwoz_turns_get_one_domain_intent_label(tmp_path: Path) -> None:
    turns = labelled_turns("multiwoz", read_templates(archive_with(tmp_path), "multiwoz"))
    assert sorted((t.text, t.intent) for t in turns) == [
        ("A cheap hotel please", "Hotel-Inform"),
        ("In the north .", "Hotel-Inform"),
        ("thanks", "general-thank"),
    ]


def test_crosswoz_keeps_single_act_turns_with_placeholders_as_slot_names(tmp_path: Path) -> None:
    turns = labelled_turns("crosswoz", read_templates(archive_with(tmp_path), "crosswoz"))
    assert sorted((t.text, t.intent) for t in turns) == [
        ("再见", "bye-General"),
        ("好的，再见", "bye-General"),
        ("我想去名称玩", "景点-Inform"),
    ]


def test_sampling_and_split_are_stratified_and_reproducible() -> None:
    items = [Item(f"a{i}", "a") for i in range(30)] + [Item(f"b{i}", "b") for i in range(10)] + [Item("c", "c")]
    chosen = sample(items, per_intent=20, min_per_intent=5, seed=1)
    assert {i.intent for i in chosen} == {"a", "b"} and len(chosen) == 30
    train, test = stratified_split(chosen, 0.2, seed=1)
    assert sorted(i.intent for i in test) == ["a"] * 4 + ["b"] * 2
    assert not {i.text for i in train} & {i.text for i in test}
    assert stratified_split(chosen, 0.2, seed=1) == (train, test)


def test_rasa_yaml_round_trips_through_our_loader() -> None:
    items = [
        Item(
            "订单SB1003的耳机坏了",
            "return_item",
            [
                {"entity": "order_id", "start": 2, "end": 8, "value": "SB1003"},
                {"entity": "product", "start": 9, "end": 11, "value": "SoundPods Pro"},
            ],
        ),
        Item("hi", "greet"),
    ]
    assert (
        markup(items[0].text, items[0].entities)
        == '订单[SB1003](order_id)的[耳机]{"entity": "product", "value": "SoundPods Pro"}坏了'
    )
    text = to_rasa_yaml(items, {"earbuds": "SoundPods Pro"}, {"order_id": [r"SB\d+"]}, {"product": ["耳机"]})
    data = trainingdata.parse(yaml.safe_load(text))
    assert [(e.text, e.intent) for e in data.examples] == [("hi", "greet"), ("订单SB1003的耳机坏了", "return_item")]
    assert data.examples[1].entities[1].value == "SoundPods Pro"
    assert data.synonyms["earbuds"] == "SoundPods Pro" and data.regexes == {"order_id": [r"SB\d+"]}
