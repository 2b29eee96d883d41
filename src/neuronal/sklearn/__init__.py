"""scikit-learn estimators backed by neuronal networks: NeuronalClassifier, NeuronalRegressor.

They take MLPClassifier's and MLPRegressor's parameters where the concept is the same
(``hidden_layer_sizes``, ``activation``, ``alpha``, ``batch_size``, ``learning_rate_init``,
``max_iter``, ``early_stopping``, ...) and add what those lack: other optimisers and
activations, dropout, batch normalisation, learning-rate schedules, restoring the best weights
on early stopping, and any neuronal network (``layers=``: CNN, LSTM). They work in Pipeline,
GridSearchCV and cross_val_score, pass scikit-learn's estimator checks, pickle, and keep the
trained :class:`~neuronal.Network` in ``network_``::

    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from neuronal.sklearn import NeuronalClassifier

    pipe = make_pipeline(StandardScaler(), NeuronalClassifier(random_state=0))
    search = GridSearchCV(pipe, {"neuronalclassifier__hidden_layer_sizes": [(32,), (64,)]})

scikit-learn (>= 1.6) is needed here only: ``import neuronal`` does not import it.
"""

from __future__ import annotations

try:
    import sklearn
except ImportError:  # pragma: no cover - depends on the environment
    raise ImportError("neuronal.sklearn needs scikit-learn >= 1.6: pip install "
                      "'neuronal[sklearn]' (or pip install scikit-learn)") from None


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:2]:
        digits = "".join(c for c in piece if c.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


if _version(sklearn.__version__) < (1, 6):  # pragma: no cover - depends on the environment
    raise ImportError(f"neuronal.sklearn needs scikit-learn >= 1.6 (validate_data, estimator "
                      f"tags), found {sklearn.__version__}: pip install -U scikit-learn")

from .classifier import NeuronalClassifier  # noqa: E402
from .regressor import NeuronalRegressor  # noqa: E402

__all__ = ["NeuronalClassifier", "NeuronalRegressor"]
