"""The comparables' search index: exact below the threshold, HNSW above, both surviving a save."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models import vector_index
from models.comparables import Comparables, write_comparables


def _vectors(rows: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(rows, 8)).astype(np.float32)


@pytest.mark.parametrize("exact_up_to", [1_000, 10], ids=["exact", "hnsw"])
def test_each_listing_is_its_own_nearest_after_a_round_trip(
    exact_up_to: int, tmp_path: Path
) -> None:
    vectors = _vectors(300)
    vector_index.save(vector_index.build(vectors, exact_up_to), tmp_path / "index")
    rows, distances = vector_index.search(vector_index.load(tmp_path / "index"), vectors, 3)
    assert (rows[:, 0] == np.arange(300)).mean() > 0.99
    assert np.all(distances[:, 0] < 1e-3)
    assert np.all(np.diff(distances, axis=1) >= 0)


def test_exact_distances_are_euclidean() -> None:
    vectors, query = _vectors(50), _vectors(1, seed=1)
    rows, distances = vector_index.search(vector_index.build(vectors), query, 50)
    expected = np.linalg.norm(vectors - query, axis=1)
    np.testing.assert_allclose(distances[0], expected[rows[0]], rtol=1e-4)
    assert rows[0, 0] == int(np.argmin(expected))


def test_asking_for_more_than_indexed_gives_each_once(tmp_path: Path) -> None:
    table = pd.DataFrame({"id": [f"x{i}" for i in range(4)], "price": [1.0, 2.0, 3.0, 4.0]})
    found = Comparables.of(_vectors(4), table)
    found.save(tmp_path)
    nearest = Comparables.load(tmp_path).nearest(_vectors(1, seed=2), 10)[0]
    assert sorted(c.id for c in nearest) == ["x0", "x1", "x2", "x3"]


def test_a_table_that_does_not_match_the_vectors_is_refused() -> None:
    with pytest.raises(ValueError, match="3 vectors for 2 listings"):
        Comparables.of(_vectors(3), pd.DataFrame({"id": ["a", "b"], "price": [1.0, 2.0]}))


def _listings(rows: range) -> pd.DataFrame:
    """A listings table whose first rows have no thumbnail (an untyped column in a first chunk)."""
    return pd.DataFrame(
        {
            "id": [f"x{i}" for i in rows],
            "price": [float(i) for i in rows],
            "thumbnail": [None if i < 3 else bytes([i]) for i in rows],
        }
    )


def test_written_a_chunk_at_a_time_is_what_was_indexed_at_once(tmp_path: Path) -> None:
    vectors = _vectors(10)
    chunks = [(vectors[i : i + 3], _listings(range(i, min(i + 3, 10)))) for i in range(0, 10, 3)]
    write_comparables(tmp_path / "chunked", 10, chunks)
    Comparables.of(vectors, _listings(range(10))).save(tmp_path / "whole")
    chunked, whole = Comparables.load(tmp_path / "chunked"), Comparables.load(tmp_path / "whole")
    pd.testing.assert_frame_equal(chunked.listings, whole.listings)
    queries = _vectors(4, seed=3)
    assert chunked.nearest(queries, 5) == whole.nearest(queries, 5)


def test_chunks_that_do_not_add_up_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="3 listings written where 4 were announced"):
        write_comparables(tmp_path, 4, [(_vectors(3), _listings(range(3)))])
