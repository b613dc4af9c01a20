# Integration tests (tests/integration, pytest): packages beyond the Makefile's list.
# pytest-timeout: per-test timeout from setup.cfg, so a hung kernel fails one test
# instead of hanging the suite.
DEB_PACKAGES += python3-pytest-timeout python3-zmq python3-pexpect
