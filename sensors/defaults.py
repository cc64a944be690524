"""Deployment-wide defaults the sensors read from Airflow's configuration when a DAG is parsed."""

from __future__ import annotations

import os
from configparser import ConfigParser

from airflow.configuration import conf

_SECTION, _KEY = "operators", "default_deferrable"
_ENV_PREFIX = f"AIRFLOW__{_SECTION.upper()}__{_KEY.upper()}"  # also _CMD and _SECRET variants


def default_deferrable() -> bool:
    """Return whether a sensor defers when its DAG does not say: ``[operators] default_deferrable`` if set, else True.

    Airflow's own default for that option is False (its built-ins poke unless told), but this
    library's sensors exist to defer: only a deployment that sets the option, say one without a
    triggerer, turns them to poke mode. Read on each call (at DAG parse time), not at import.
    """
    return conf.getboolean(_SECTION, _KEY, fallback=True) if _explicitly_set() else True


def _explicitly_set() -> bool:
    """Return True when the option comes from the environment or airflow.cfg, not from Airflow's defaults."""
    if any(name.startswith(_ENV_PREFIX) for name in os.environ):
        return True
    # AirflowConfigParser.has_option counts its built-in defaults; the plain ConfigParser view holds
    # only what airflow.cfg (or conf.set) gave it.
    return ConfigParser.has_option(conf, _SECTION, _KEY)
