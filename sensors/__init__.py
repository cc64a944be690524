"""Sensors for Airflow 3 that wait in the triggerer, without holding a worker slot."""

from sensors.adaptive_file import AdaptiveFileSensor
from sensors.api_health import APIHealthSensor
from sensors.base import REPORT_XCOM_KEY, DeferrableSensor
from sensors.file_arrival import FileArrivalSensor
from sensors.multi_source import MultiSourceReadinessSensor
from sensors.order_status import OrderStatusSensor
from sensors.sql import DeferrableSqlSensor

__all__ = [
    "REPORT_XCOM_KEY",
    "APIHealthSensor",
    "AdaptiveFileSensor",
    "DeferrableSensor",
    "DeferrableSqlSensor",
    "FileArrivalSensor",
    "MultiSourceReadinessSensor",
    "OrderStatusSensor",
]
