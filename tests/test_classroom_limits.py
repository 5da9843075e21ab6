"""Tests of lrcourse.classroom.limits: size parsing and formatting, the limits' validation."""

from __future__ import annotations

import pytest

from lrcourse.classroom.limits import Limits, format_size, parse_size


def test_sizes_parse_and_format():
    assert parse_size("1GiB") == 2**30
    assert parse_size("512M") == 512 * 2**20
    assert parse_size("1.5k") == 1536
    assert parse_size("100") == 100
    assert format_size(2**30) == "1 GiB"
    assert format_size(1536) == "1.5 KiB"
    assert format_size(12) == "12 B"
    with pytest.raises(ValueError, match="size must be a number with an optional unit"):
        parse_size("lots")


def test_limits_are_validated_with_the_course_message_shape():
    with pytest.raises(ValueError, match="cell_timeout must be a positive finite number; got -1"):
        Limits(cell_timeout=-1)
    with pytest.raises(ValueError, match="memory_bytes must be at least 256 MiB"):
        Limits(memory_bytes=2**20)
    with pytest.raises(TypeError, match="max_output_bytes must be a positive integer"):
        Limits(max_output_bytes=1.5)
    assert Limits(**Limits().as_dict()) == Limits()
