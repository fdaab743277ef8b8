#!/usr/bin/python3
"""scikit-learn's counterpart of `xent train --json` on its defaults, for whole-process start-up timing: load Iris,
standardise, fit MLPClassifier as xent trains by default (16 ReLU units, Adam η = 0.01, L2 1e-4, batches of 32, early
stopping with patience 20 on a 20% validation split), print the result as JSON.

Usage: /usr/bin/python3 bench/peers/sklearn_iris.py
"""
import json

from sklearn.datasets import load_iris
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

x, y = load_iris(return_X_y=True)
x = StandardScaler().fit_transform(x)
model = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, alpha=1e-4, batch_size=32, early_stopping=True,
                      validation_fraction=0.2, n_iter_no_change=20, max_iter=2000, random_state=0).fit(x, y)
print(json.dumps({"epochs": model.n_iter_, "trainAccuracy": model.score(x, y), "validationScore": model.best_validation_score_}))
