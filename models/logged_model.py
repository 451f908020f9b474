"""The logged model's code, in MLflow's "models from code" form (no pickled Python object).

MLflow copies this file into every logged model and runs it when the model is loaded: it names
the class that answers `predict`; the Keras model and schema come from the model's artifacts.
Nothing of ours imports this module.
"""

from mlflow.models import set_model

from models.pyfunc import AppraiserModel

set_model(AppraiserModel())
