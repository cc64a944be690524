"""The Sensors view: an Airflow UI plugin showing what every deferred sensor does now and how every wait went."""
