"""Deployment-wide defaults the sensors read from Airflow's configuration when a DAG is parsed."""

from __future__ import annotations

import os
from configparser import ConfigParser
from typing import Any

from airflow.configuration import conf

from triggers.validation import require_bool

_SECTION, _KEY = "operators", "default_deferrable"
_ENV_PREFIX = f"AIRFLOW__{_SECTION.upper()}__{_KEY.upper()}"  # also _CMD and _SECRET variants


def resolve_deferrable(deferrable: Any, sensor: Any) -> bool:
    """Return whether ``sensor`` defers: ``deferrable`` as given, else :func:`default_deferrable`.

    Raises ConfigurationError unless it is a bool. A deferring sensor ignores ``mode`` (as
    Airflow's own do); an explicit ``mode="reschedule"`` then gets a warning saying so.
    """
    if deferrable is None:
        deferrable = default_deferrable()
    require_bool("deferrable", deferrable)
    if deferrable and sensor.mode == "reschedule":
        sensor.log.warning(
            "%s defers, so mode='reschedule' does not apply; pass deferrable=False to reschedule", sensor.task_id
        )
    return bool(deferrable)


def default_deferrable() -> bool:
    """Return whether a sensor defers when its DAG does not say: ``[operators] default_deferrable`` if set, else True.

    "Set" means the environment (``AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE``, or its _CMD/_SECRET
    form); airflow.cfg counts only where it differs from Airflow's default (see ``_explicitly_set``).

    Airflow's own default for that option is False (its built-ins poke unless told), but this
    library's sensors exist to defer: only a deployment that sets the option, say one without a
    triggerer, turns them to poke mode. Read on each call (at DAG parse time), not at import.
    """
    return conf.getboolean(_SECTION, _KEY, fallback=True) if _explicitly_set() else True


def _explicitly_set() -> bool:
    """Return True when the deployment chose the option: in the environment, or airflow.cfg saying True.

    Airflow writes every default into the airflow.cfg it generates on first use, so
    ``default_deferrable = false`` there is what nobody chose (seen: it turned every sensor of a
    fresh stack to poke mode). AirflowConfigParser.has_option counts its built-in defaults too;
    the plain ConfigParser view holds only what airflow.cfg (or conf.set) gave it.
    """
    if any(name.startswith(_ENV_PREFIX) for name in os.environ):
        return True
    if not ConfigParser.has_option(conf, _SECTION, _KEY):
        return False
    return (
        str(ConfigParser.get(conf, _SECTION, _KEY)).strip().lower()
        != str(conf.get_default_value(_SECTION, _KEY)).lower()
    )
