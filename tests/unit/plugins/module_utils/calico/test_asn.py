import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico.asn import (
    check_crd_int32, format_asdot, format_asn, is_valid_asn, parse_asn)


@pytest.mark.parametrize("value, expected", [
    (0, 0),
    (64512, 64512),
    (4294967295, 4294967295),
    ("0", 0),
    ("64512", 64512),
    ("0064512", 64512),          # strconv.ParseUint takes leading zeros
    ("4294967295", 4294967295),
    ("1.0", 65536),
    ("1.10", 65546),             # dotted: (1 << 16) + 10, not a decimal fraction
    ("64086.59904", 4200000000),
    ("0.0", 0),
    ("65535.65535", 4294967295),
    ("0.64512", 64512),
])
def test_parse_asn_accepts(value, expected):
    assert parse_asn(value) == expected


@pytest.mark.parametrize("value", [
    -1, 4294967296, True, None, 65000.0, 65000.1, [65000],
    "", " 65000", "65000 ", "+65000", "-1", "4294967296", "AS65000", "as65000",
    "65536.0", "0.65536", "1.2.3", ".1", "1.", "1..2", "0x10", "1_000", "６５０００", "1e5",
])
def test_parse_asn_rejects_with_calico_wording(value):
    with pytest.raises(ValueError) as err:
        parse_asn(value)
    assert str(err.value) == "invalid AS Number format (%s)" % (value,)
    assert not is_valid_asn(value)


@pytest.mark.parametrize("value, text, dotted", [
    (65000, "65000", "65000"), ("1.0", "65536", "1.0"), ("4200000000", "4200000000", "64086.59904"),
])
def test_format(value, text, dotted):
    assert format_asn(value) == text
    assert format_asdot(value) == dotted
    assert parse_asn(format_asdot(value)) == parse_asn(value)


@pytest.mark.parametrize("value, error", [
    (64512, None),
    (2147483647, None),
    (-5, None),                  # the schema has no minimum: int32 takes negatives
    (2147483648, "must be of type integer with format int32"),
    (4200000000, "must be of type integer with format int32"),
    (-2147483649, "must be of type integer with format int32"),
    ("64512", "must be of type integer"),
    ("1.0", "must be of type integer"),
    (True, "must be of type integer"),
    (1.5, "must be of type integer"),
])
def test_crd_int32_rule(value, error):
    assert check_crd_int32(value) == error
