"""The README's scikit-learn example runs as printed."""

import re
from pathlib import Path

import neuronal as nl

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example() -> str:
    text = README.read_text()
    section = text.split("\n## scikit-learn\n", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_pipeline_grid_search_example_runs(tmp_path, monkeypatch, capsys):
    code = readme_example()
    assert "GridSearchCV" in code and "make_pipeline" in code
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    search, X_test, y_test = namespace["search"], namespace["X_test"], namespace["y_test"]
    assert search.score(X_test, y_test) > 0.94
    assert set(search.best_params_) == {"neuronalclassifier__hidden_layer_sizes",
                                        "neuronalclassifier__dropout"}
    clf = namespace["clf"]
    assert clf.validation_scores_ and clf.n_iter_ < 200
    saved = nl.load(tmp_path / "digits.safetensors")
    X_scaled = search.best_estimator_[0].transform(X_test)
    assert (saved.predict_proba(X_scaled) == clf.predict_proba(X_scaled)).all()
    printed = capsys.readouterr().out
    assert "neuronalclassifier__" in printed


def test_docstring_examples_run():
    import doctest
    import warnings

    from neuronal.sklearn import classifier, regressor

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of the short examples
        for module in (classifier, regressor):
            result = doctest.testmod(module)
            assert result.attempted >= 4 and result.failed == 0
