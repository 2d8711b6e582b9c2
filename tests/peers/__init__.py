"""Test data written by the peers' own libraries, so that the tests hold the exchange to the peers, not to itself."""
