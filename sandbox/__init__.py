"""Stand-ins for the outside world the seed's exercises wait on (mock databases, servers, data drops)."""
