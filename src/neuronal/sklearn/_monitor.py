"""When an estimator stops training: MLPClassifier's rule, run as a neuronal callback.

After every epoch the rule looks at one number: the training loss, or with
``early_stopping=True`` the score (accuracy, R^2) on the held-out validation samples. An epoch
that does not improve the best value so far by at least ``tol`` counts as one without
improvement; after ``n_iter_no_change + 1`` such epochs in a row, training stops. With early
stopping and ``restore_best_weights=True`` the network ends with the weights of its best
validation epoch.
"""

from __future__ import annotations

import numpy as np

from ..callbacks import Callback

__all__ = ["Monitor"]


class Monitor(Callback):
    """Records ``loss_curve_``, ``validation_scores_`` etc. on the estimator and applies the
    stopping rule.

    Parameters
    ----------
    estimator : the NeuronalClassifier or NeuronalRegressor being fitted.
    n_samples : int
        Training samples per epoch (added to ``t_``).
    validation : (X_val, y_val, weights) or None
        Prepared validation data, scored by ``estimator._validation_score``.
    """

    def __init__(self, estimator, n_samples: int, validation=None) -> None:
        self.estimator, self.n_samples, self.validation = estimator, n_samples, validation
        self.best_weights = None
        self.stopped = False  # the rule stopped training (rather than max_iter)

    def on_epoch_end(self, network, epoch, logs):
        est = self.estimator
        loss = float(logs["loss"])
        est.n_iter_ += 1
        est.t_ += self.n_samples
        est.loss_ = loss
        est.loss_curve_.append(loss)
        if self.validation is not None:
            score = float(est._validation_score(*self.validation))
            est.validation_scores_.append(score)
            improved = score >= est.best_validation_score_ + est.tol
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                if est.restore_best_weights:
                    self.best_weights = network.get_weights()
        else:
            best = np.inf if est.best_loss_ is None else est.best_loss_
            improved = loss <= best - est.tol
            est.best_loss_ = min(best, loss)
        est._no_improvement_count = 0 if improved else est._no_improvement_count + 1
        if est.verbose and self.validation is not None:
            print(f"validation score {est.validation_scores_[-1]:.6f}", flush=True)
        if est._no_improvement_count > est.n_iter_no_change:
            what = "validation score" if self.validation is not None else "training loss"
            if est.verbose:
                print(f"{what} did not improve by more than tol={est.tol} for "
                      f"{est.n_iter_no_change} consecutive epochs: stopping", flush=True)
            self.stopped = True
            network.stop_training = True

    def on_train_end(self, network):
        if self.best_weights is not None:
            network.set_weights(self.best_weights)
