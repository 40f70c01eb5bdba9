"""Connector publication per assistant platform and the OAuth server arrive with the OAuth issue."""
