import pytest

from love_producer.interfaces.component_id import ComponentId, parse_component, parse_components


def test_forms():
    assert parse_component("ATDome") == ComponentId("ATDome", 0)
    assert parse_component("ScriptQueue:1") == ComponentId("ScriptQueue", 1)
    assert str(ComponentId("MTHexapod", 2)) == "MTHexapod:2"
    assert ComponentId("ATDome").key == "ATDome:0"


@pytest.mark.parametrize(
    "spec", ["", "AT-Dome", "ATDome:", "ATDome:x", "ATDome:*", "1ATDome", "A:-1"]
)
def test_bad_specs_are_refused_with_the_spec_in_the_message(spec):
    with pytest.raises(ValueError) as e:
        parse_component(spec)
    assert repr(spec) in str(e.value)


def test_space_and_comma_separated_without_duplicates():
    got = parse_components(["ATDome,ATMCS", "MTHexapod:1  ATDome", " "])
    assert got == [ComponentId("ATDome"), ComponentId("ATMCS"), ComponentId("MTHexapod", 1)]
