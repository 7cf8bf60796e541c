"""Unit tests for rootcause.taxonomy: the packaged default, and broken files key by key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rootcause.errors import ConfigError, TaxonomyError
from rootcause.resources import default_taxonomy
from rootcause.taxonomy import FALLBACK_CAUSE, Cause, Taxonomy, load_taxonomy

GOOD = """\
name = "test"

[redaction]
mask_order_numbers = true

[causes.late_delivery]
label = "Late delivery"
description = "The parcel came late."
owner = "Logistics"
evidence = ["late", "delayed"]

[causes.other]
description = "Everything else."
owner = "Customer Insights"
"""


def write(tmp_path: Path, text: str, name: str = "taxonomy.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    return message


# --- the packaged default --------------------------------------------------------------------
def test_taxonomy_default_loads_the_four_causes() -> None:
    taxonomy = load_taxonomy()
    assert isinstance(taxonomy, Taxonomy)
    assert taxonomy.name == "default"
    assert taxonomy.cause_names == ("agent_error", "order_mixup", "process_gap", "other")
    assert FALLBACK_CAUSE in taxonomy.cause_names
    assert taxonomy.mask_order_numbers is False


def test_taxonomy_default_causes_have_owner_description_label_and_evidence() -> None:
    for cause in load_taxonomy().causes:
        assert isinstance(cause, Cause)
        assert cause.owner.strip(), cause.name
        assert cause.description.strip(), cause.name
        assert cause.label.strip(), cause.name
        assert cause.evidence, cause.name
        assert all(isinstance(e, str) and e for e in cause.evidence)
    assert load_taxonomy().cause("order_mixup").owner == "Fulfilment Operations"


def test_taxonomy_default_is_the_packaged_file() -> None:
    assert load_taxonomy() == load_taxonomy(default_taxonomy())


def test_taxonomy_version_is_a_12_hex_hash() -> None:
    assert re.fullmatch(r"[0-9a-f]{12}", load_taxonomy().version)


def test_taxonomy_version_changes_when_the_file_changes(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    first = load_taxonomy(path)
    assert re.fullmatch(r"[0-9a-f]{12}", first.version)
    assert load_taxonomy(path).version == first.version  # same bytes, same version
    path.write_text(GOOD + "# a comment changes the bytes\n", encoding="utf-8")
    second = load_taxonomy(path)
    assert second.version != first.version
    assert second.causes == first.causes


def test_taxonomy_cause_lookup_raises_key_error_for_unknown_name() -> None:
    taxonomy = load_taxonomy()
    assert taxonomy.cause("other").name == "other"
    with pytest.raises(KeyError):
        taxonomy.cause("weather")


# --- a good custom file ----------------------------------------------------------------------
def test_taxonomy_custom_file_fields(tmp_path: Path) -> None:
    taxonomy = load_taxonomy(write(tmp_path, GOOD))
    assert taxonomy.name == "test"
    assert taxonomy.mask_order_numbers is True
    late = taxonomy.cause("late_delivery")
    assert late == Cause(
        "late_delivery", "Late delivery", "The parcel came late.", "Logistics", ("late", "delayed")
    )
    other = taxonomy.cause("other")
    assert other.label == "Other"  # derived from the name when not given
    assert other.evidence == ()


def test_taxonomy_name_defaults_to_file_stem_and_strips_text(tmp_path: Path) -> None:
    text = (
        '[causes.late_delivery]\ndescription = "  Late.  "\nowner = " Logistics "\n'
        '[causes.other]\ndescription = "x"\nowner = "y"\n'
    )
    taxonomy = load_taxonomy(write(tmp_path, text, name="acme.toml"))
    assert taxonomy.name == "acme"
    assert taxonomy.cause("late_delivery").description == "Late."
    assert taxonomy.cause("late_delivery").owner == "Logistics"
    assert taxonomy.cause("late_delivery").label == "Late delivery"


# --- broken files ----------------------------------------------------------------------------
def test_taxonomy_missing_other_cause(tmp_path: Path) -> None:
    text = GOOD.split("[causes.other]", maxsplit=1)[0]
    path = write(tmp_path, text)
    assert load_error(path) == f"{path}: key 'causes.other': missing (the fallback cause)"


def test_taxonomy_missing_owner(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('owner = "Logistics"\n', ""))
    assert load_error(path) == f"{path}: key 'causes.late_delivery.owner': missing"


def test_taxonomy_missing_description(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('description = "Everything else."\n', ""))
    assert load_error(path) == f"{path}: key 'causes.other.description': missing"


@pytest.mark.parametrize("empty", ['""', '"   "'])
def test_taxonomy_empty_description(tmp_path: Path, empty: str) -> None:
    path = write(tmp_path, GOOD.replace('"The parcel came late."', empty))
    assert load_error(path) == f"{path}: key 'causes.late_delivery.description': must not be empty"


def test_taxonomy_empty_owner(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('"Customer Insights"', '""'))
    assert load_error(path) == f"{path}: key 'causes.other.owner': must not be empty"


@pytest.mark.parametrize("bad", ["Late_Delivery", "late-delivery", "1late", "x", '"late delivery"'])
def test_taxonomy_bad_cause_name(tmp_path: Path, bad: str) -> None:
    path = write(tmp_path, GOOD.replace("[causes.late_delivery]", f"[causes.{bad}]"))
    shown = bad.strip('"')
    assert load_error(path) == (
        f"{path}: key 'causes.{shown}': cause names are lower-case snake_case (a-z, 0-9, _)"
    )


def test_taxonomy_unknown_key_in_cause(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('owner = "Logistics"', 'owner = "Logistics"\ncolour = 1'))
    assert load_error(path) == f"{path}: key 'causes.late_delivery.colour': unknown key"


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("mask_order_numbers = true", "mask_order_number = true", "redaction.mask_order_number"),
        ("[redaction]", "[redacton]", "redacton"),
    ],
    ids=["redaction-key-typo", "top-level-table-typo"],
)
def test_taxonomy_unknown_key_outside_causes(tmp_path: Path, old: str, new: str, key: str) -> None:
    path = write(tmp_path, GOOD.replace(old, new))
    assert load_error(path) == f"{path}: key '{key}': unknown key"


@pytest.mark.parametrize(
    ("old", "new", "key", "expected", "got"),
    [
        ('owner = "Logistics"', "owner = 5", "causes.late_delivery.owner", "str", "int"),
        (
            '"The parcel came late."',
            '["a"]',
            "causes.late_delivery.description",
            "str",
            "list",
        ),
        (
            'evidence = ["late", "delayed"]',
            'evidence = "late"',
            "causes.late_delivery.evidence",
            "list",
            "str",
        ),
        (
            'evidence = ["late", "delayed"]',
            'evidence = ["late", 3]',
            "causes.late_delivery.evidence[1]",
            "str",
            "int",
        ),
        ('label = "Late delivery"', "label = true", "causes.late_delivery.label", "str", "bool"),
        (
            "mask_order_numbers = true",
            'mask_order_numbers = "yes"',
            "redaction.mask_order_numbers",
            "bool",
            "str",
        ),
        ('name = "test"', "name = 3", "name", "str", "int"),
    ],
)
def test_taxonomy_wrong_type(
    tmp_path: Path, old: str, new: str, key: str, expected: str, got: str
) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new))
    assert load_error(path) == f"{path}: key '{key}': expected {expected}, got {got}"


def test_taxonomy_cause_that_is_not_a_table(tmp_path: Path) -> None:
    path = write(tmp_path, 'causes = { other = "x" }\n')
    assert load_error(path) == f"{path}: key 'causes.other': expected dict, got str"


def test_taxonomy_without_causes(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "empty"\n')
    assert load_error(path).startswith(f"{path}: key 'causes': expected dict")


def test_taxonomy_invalid_toml(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("[causes.other]", "[causes.other"))
    assert load_error(path).startswith(f"{path}: not valid TOML: ")


def test_taxonomy_not_utf8_is_invalid_toml(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.toml"
    path.write_bytes(GOOD.replace("Everything else.", "Caf\xe9").encode("cp1252"))
    assert load_error(path).startswith(f"{path}: not valid TOML: ")


def test_taxonomy_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    assert load_error(path).startswith(f"{path}: cannot read the taxonomy file")


def test_taxonomy_error_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path, "[causes]\n")
    with pytest.raises(ConfigError) as info:
        load_taxonomy(path)
    assert isinstance(info.value, TaxonomyError)
    assert info.value.exit_code == 2
