"""SQL databases (PostgreSQL, MySQL/MariaDB, SQLite): connections, shared pools, LISTEN, and the SQL query check."""
