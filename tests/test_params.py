"""The parameter specification: one table drives validation, payload and parsing."""

from __future__ import annotations

import pytest

from inpaint.errors import ParameterError
from inpaint.params import BY_NAME, PARAMS, build_payload, defaults, parse_request


def test_documented_defaults_and_ranges():
    d = defaults()
    assert d["guidance_scale"] == 5 and d["strength"] == 0.7
    assert d["num_inference_steps"] == 30 and d["samples"] == 1
    assert d["safety_checker"] == "no" and d["base64"] == "false"
    assert (BY_NAME["guidance_scale"].minimum, BY_NAME["guidance_scale"].maximum) == (1, 5)
    assert BY_NAME["samples"].maximum == 4
    assert BY_NAME["width"].maximum == 1024 and BY_NAME["width"].step == 8
    assert (BY_NAME["strength"].minimum, BY_NAME["strength"].maximum) == (0, 1)
    assert all(p.help and p.label for p in PARAMS)


def test_payload_has_documented_wire_types():
    payload = build_payload(
        {
            "prompt": "a cat",
            "instant_response": True,
            "guidance_scale": 5.0,
            "safety_checker": True,
            "seed": 7,
        }
    )
    assert payload["guidance_scale"] == 5 and isinstance(payload["guidance_scale"], int)
    assert payload["instant_response"] == "true"
    assert payload["safety_checker"] == "yes"
    assert payload["base64"] == "false"
    assert payload["seed"] == 7
    assert isinstance(payload["strength"], float)


@pytest.mark.parametrize("seed", [None, -1, "", "-1"])
def test_random_seed_is_left_out(seed):
    assert "seed" not in build_payload({"prompt": "x", "seed": seed})


def test_null_width_is_left_out_so_the_api_uses_the_image_size():
    payload = build_payload({"prompt": "x", "width": None, "height": None})
    assert "width" not in payload and "height" not in payload


@pytest.mark.parametrize(
    "field,value,expected",
    [
        ("guidance_scale", 7, "guidance_scale must be a whole number from 1 to 5 (got 7)"),
        ("guidance_scale", 2.5, "guidance_scale must be a whole number from 1 to 5 (got 2.5)"),
        ("strength", 1.5, "strength must be a number from 0 to 1 (got 1.5)"),
        ("samples", 5, "samples must be a whole number from 1 to 4 (got 5)"),
        ("width", 2048, "width must be a whole number from 8 to 1024 (got 2048)"),
        ("safety_checker", "maybe", 'safety_checker must be one of "yes", "no" (got \'maybe\')'),
        ("webhook", "ftp://x", "webhook must be an http(s) URL (got 'ftp://x')"),
        ("num_inference_steps", True, "num_inference_steps must be a whole number from 1 to 100"),
    ],
)
def test_out_of_range_names_field_range_and_value(field, value, expected):
    with pytest.raises(ParameterError) as info:
        build_payload({"prompt": "x", field: value})
    assert str(info.value).startswith(expected)
    assert info.value.field == field


def test_empty_prompt_and_unknown_names_are_refused():
    with pytest.raises(ParameterError, match="prompt"):
        build_payload({"prompt": "   "})
    with pytest.raises(ParameterError, match="guidance"):
        build_payload({"prompt": "x", "guidance": 3})


def test_server_parsing_is_as_lenient_as_the_docs():
    parsed = parse_request(
        {
            "prompt": "a",
            "width": "512",
            "num_inference_steps": "30",
            "base64": False,
            "guidance_scale": 5.0,
            "strength": "0.5",
            "instant_response": True,
            "enhance_prompt": "yes",
            "seed": None,
        }
    )
    assert parsed["width"] == 512 and parsed["num_inference_steps"] == 30
    assert parsed["base64"] == "false" and parsed["instant_response"] == "true"
    assert parsed["guidance_scale"] == 5 and parsed["strength"] == 0.5
    assert parsed["height"] is None and parsed["seed"] is None
    assert "enhance_prompt" not in parsed


@pytest.mark.parametrize(
    "body",
    [
        {"prompt": "a", "guidance_scale": "5.5"},
        {"prompt": "a", "width": "wide"},
        {"prompt": "a", "samples": 9},
        {"prompt": 5},
        {},
    ],
)
def test_server_parsing_still_refuses_bad_values(body):
    with pytest.raises(ParameterError):
        parse_request(body)
