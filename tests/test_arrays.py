"""arrays.py: Arrow <-> numpy without pyarrow's pandas probe, exact on slices, chunks and nulls."""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from ipdemo.data import arrays


def test_strings_round_trip_any_text_and_either_offset_width():
    values = ["", "a", "吴江开发区", "x\ny", "\u3000"]
    for kind in (pa.string(), pa.large_string()):
        arr = arrays.strings(values, kind)
        assert arr.type == kind and arr.to_pylist() == values
        arr.validate(full=True)
    assert arrays.strings([]).to_pylist() == []


def test_bools_and_back_across_slices_and_chunks():
    mask = np.random.default_rng(1).random(1000) < 0.3
    arr = arrays.bools(mask)
    arr.validate(full=True)
    assert arrays.to_numpy(arr).tolist() == mask.tolist()
    assert arrays.to_numpy(arr.slice(13, 500)).tolist() == mask[13:513].tolist()
    chunked = pa.chunked_array([arr.slice(0, 7), arr.slice(7)])
    assert arrays.to_numpy(chunked).tolist() == mask.tolist()


def test_numbers_with_nulls_need_a_fill():
    arr = pc.index_in(arrays.strings(["a", "b", "c"]), value_set=arrays.strings(["c", "a"]))
    assert arrays.to_numpy(arr, null=-1).tolist() == [1, -1, 0]
    with pytest.raises(ValueError):
        arrays.to_numpy(arr)
    out = arrays.to_numpy(pc.cast(arrays.strings(["1.5", "2"]).slice(1), pa.float64()))
    out[0] = 7  # writable: callers may reuse it
    assert out.tolist() == [7.0]


def test_lengths_are_utf8_bytes():
    arr = pa.chunked_array([arrays.strings(["", "ab"]), arrays.strings(["吴江"]).slice(0)])
    assert arrays.lengths(arr).tolist() == [0, 2, 6]
