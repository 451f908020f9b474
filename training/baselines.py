"""Simple baselines the joint model must beat, fitted on the training split only."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from models.architecture import VOCABULARY_SAMPLE
from models.schema import FeatureType, Schema
from models.text_normal import TOKEN_PATTERN, normalise
from models.wide import RidgeFit, fit_ridge


def global_median(train: pd.DataFrame, test: pd.DataFrame, schema: Schema) -> np.ndarray:
    """Every listing priced at the training median."""
    return np.full(len(test), float(train[schema.target].median()))


def category_median(
    train: pd.DataFrame, test: pd.DataFrame, schema: Schema, column: str
) -> np.ndarray:
    """The training median of the listing's category value (brand, zipcode); global if unseen."""
    medians = train.groupby(column)[schema.target].median()
    fallback = float(train[schema.target].median())
    return test[column].map(medians).fillna(fallback).to_numpy(dtype="float64")


class LinearBaseline:
    """Ridge regression of log price on TF-IDF of the texts, one-hots and scaled numbers.

    Texts are normalised and split as the model splits them (`models.text_normal`): words, and
    each character of a script written without spaces.

    It reads the columns as the model's wide path does (categories and integers as one-hots,
    integers also as values, numbers as values and, when positive, as logs) and picks its
    penalty the same way, by generalised cross-validation on the training rows; but it is
    built from scikit-learn's encoders, so it checks the model rather than repeating it.
    """

    TEXT_FEATURES = 2000  # words and word pairs per text, as the wide path's default
    VOCABULARY_SAMPLE = VOCABULARY_SAMPLE  # training rows (seeded) the vocabularies are learned on

    def __init__(self, schema: Schema, max_categories: int | None = None) -> None:
        self.schema = schema
        self.texts = {
            f.name: TfidfVectorizer(
                ngram_range=(1, 2),
                min_df=2,
                max_features=self.TEXT_FEATURES,
                preprocessor=normalise,
                token_pattern=TOKEN_PATTERN,
            )
            for f in schema.of_type(FeatureType.TEXT)
        }
        self.categorical = [
            f.name for f in schema.features if f.type in (FeatureType.CATEGORY, FeatureType.INTEGER)
        ]
        numeric = (FeatureType.INTEGER, FeatureType.NUMBER)
        self.numbers = [f.name for f in schema.features if f.type in numeric]
        self.logs = [
            f.name for f in schema.of_type(FeatureType.NUMBER) if f.min is not None and f.min > 0
        ]
        # at most `max_categories` values a column of their own, as the model's one-hots; the
        # rest share one (sklearn counts that shared column among its max_categories)
        limit = None if max_categories is None else max_categories + 1
        self.onehot = OneHotEncoder(handle_unknown="ignore", max_categories=limit)
        self.scaler = StandardScaler()
        self.ridge: RidgeFit | None = None

    def fit(self, train: pd.DataFrame) -> LinearBaseline:
        """Fit on `train`, a chunk of rows at a time: memory holds the encoders and X'X, not a
        matrix of every row (the vocabularies come from a sample of `VOCABULARY_SAMPLE` rows)."""
        texts = (
            train
            if len(train) <= self.VOCABULARY_SAMPLE
            else train.sample(self.VOCABULARY_SAMPLE, random_state=0)
        )
        for name, vectorizer in self.texts.items():
            vectorizer.fit(texts[name].astype(str))
        if self.categorical:
            self.onehot.fit(train[self.categorical].astype(str))
        if self.numbers or self.logs:
            self.scaler.fit(self._numeric(train))
        y = np.log(train[self.schema.target].to_numpy(dtype="float64"))
        rows = range(0, len(train), _CHUNK)
        chunks = (
            (self._matrix(train.iloc[i : i + _CHUNK]).toarray(), y[i : i + _CHUNK]) for i in rows
        )
        self.ridge = fit_ridge(chunks, in_place=True)
        return self

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predicted prices."""
        if self.ridge is None:
            raise RuntimeError("LinearBaseline.predict needs fit() first")
        ridge = self.ridge
        chunks = (frame.iloc[i : i + _CHUNK] for i in range(0, len(frame), _CHUNK))
        logs = [self._matrix(chunk) @ ridge.coef + ridge.intercept for chunk in chunks]
        return np.exp(np.concatenate(logs)) if logs else np.empty(0)

    def _numeric(self, frame: pd.DataFrame) -> np.ndarray:
        values = frame[self.numbers].to_numpy(dtype="float64")
        logs = np.log(np.clip(frame[self.logs].to_numpy(dtype="float64"), 1e-30, None))
        return np.hstack([values, logs])

    def _matrix(self, frame: pd.DataFrame) -> sparse.csr_matrix:
        blocks = [v.transform(frame[name].astype(str)) for name, v in self.texts.items()]
        if self.categorical:
            blocks.append(self.onehot.transform(frame[self.categorical].astype(str)))
        if self.numbers or self.logs:
            blocks.append(sparse.csr_matrix(self.scaler.transform(self._numeric(frame))))
        return sparse.hstack(blocks).tocsr()


_CHUNK = 2048  # rows densified at a time while summing X'X
