"""The werkplekduaal tests: the feature's tables exist on the test database (through its migration)."""
