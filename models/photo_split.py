"""The joint model cut after its photo branches, so a photo seen several times in one pass is run
through its convnet once: an explanation's 2^n coalition rows hold only two photos (the
listing's and none), and the convnet is nearly all of a pass's cost (`make bench-explain`).

The cut uses Keras's own `clone_model` with a `call_function` that answers each photo branch's
output as a new input; the layers (and weights) are the model's own, not copies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.schema import FeatureType, Schema


@dataclass(frozen=True)
class PhotoSplit:
    """The photo branch of each image feature, and the rest of the model reading their outputs
    in place of the photos (same input names, same outputs)."""

    branches: dict[str, Any]  # image feature name -> its branch (uint8 photos -> features)
    head: Any  # the model with each image input replaced by its branch's output

    def width(self, name: str) -> int:
        return int(self.branches[name].output.shape[-1])


def split_photos(model: Any, schema: Schema) -> PhotoSplit | None:
    """The split of `model`, or None where there is nothing to split: no photos, or one branch
    reading several photos (`photo.shared`), whose outputs cannot be told apart per photo."""
    import keras

    images = [f.name for f in schema.of_type(FeatureType.IMAGE)]
    names = {layer.name for layer in model.layers}
    if not images or any(f"photo_{name}" not in names for name in images):
        return None
    branches = {name: model.get_layer(f"photo_{name}") for name in images}
    inputs = {}
    for tensor in keras.tree.flatten(model.inputs):
        name = tensor.name
        if name in branches:
            output = branches[name].output
            inputs[name] = keras.Input(output.shape[1:], dtype=output.dtype, name=name)
        else:
            inputs[name] = keras.Input(tensor.shape[1:], dtype=tensor.dtype, name=name)
    by_layer = {id(branch): name for name, branch in branches.items()}

    def call(layer: Any, *args: Any, **kwargs: Any) -> Any:
        return args[0] if id(layer) in by_layer else layer(*args, **kwargs)

    head = keras.models.clone_model(
        model, input_tensors=inputs, clone_function=lambda layer: layer, call_function=call
    )
    return PhotoSplit(branches, head)
