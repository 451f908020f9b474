"""Simple baselines the joint model must beat, fitted on the training split only."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import Ridge
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from models.schema import FeatureType, Schema


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
    """Ridge regression of log price on TF-IDF of the texts, one-hots and scaled numbers."""

    def __init__(self, schema: Schema, alpha: float = 1.0) -> None:
        self.schema = schema
        self.texts = {
            f.name: TfidfVectorizer(ngram_range=(1, 2), min_df=2)
            for f in schema.of_type(FeatureType.TEXT)
        }
        self.categorical = [
            f.name for f in schema.features if f.type in (FeatureType.CATEGORY, FeatureType.INTEGER)
        ]
        self.numbers = [f.name for f in schema.of_type(FeatureType.NUMBER)]
        self.onehot = OneHotEncoder(handle_unknown="ignore")
        self.scaler = StandardScaler()
        self.ridge = Ridge(alpha=alpha)

    def fit(self, train: pd.DataFrame) -> LinearBaseline:
        for name, vectorizer in self.texts.items():
            vectorizer.fit(train[name].astype(str))
        if self.categorical:
            self.onehot.fit(train[self.categorical].astype(str))
        if self.numbers:
            self.scaler.fit(train[self.numbers].to_numpy(dtype="float64"))
        self.ridge.fit(
            self._matrix(train), np.log(train[self.schema.target].to_numpy(dtype="float64"))
        )
        return self

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predicted prices."""
        return np.asarray(np.exp(self.ridge.predict(self._matrix(frame))))

    def _matrix(self, frame: pd.DataFrame) -> sparse.csr_matrix:
        blocks = [v.transform(frame[name].astype(str)) for name, v in self.texts.items()]
        if self.categorical:
            blocks.append(self.onehot.transform(frame[self.categorical].astype(str)))
        if self.numbers:
            blocks.append(
                sparse.csr_matrix(
                    self.scaler.transform(frame[self.numbers].to_numpy(dtype="float64"))
                )
            )
        return sparse.hstack(blocks).tocsr()
