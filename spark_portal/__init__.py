"""Spark Portal: settings, URLs and the entry points (gunicorn's WSGI application, manage.py).

Every process started through this package computes one answer at a time: a gunicorn sync worker
serves one request, a command runs one job, and a server's parallelism is its workers. NumPy's
BLAS (OpenBLAS) would otherwise start one thread per core in every worker, each competing with the
other workers for the same cores: on a 2-core host under load that made the engine's weights-by-
answers product (`survey.engine`) up to 28 times slower, and the last digits of a weighted sum
depended on how many threads computed it. So each process uses one BLAS thread unless its
environment says otherwise. This must run before NumPy is first imported, which is why it is here:
this package is imported first by every entry point.
"""

from __future__ import annotations

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
