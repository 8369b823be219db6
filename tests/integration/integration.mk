# Integration tests: the example servers behind (and in front of) real
# HAProxy, nginx and curl on loopback. Needs the packages that
# tools/scripts/install-deps.sh installs; a missing one is a failure, not a skip.
#   make test-integration                 all of them
#   make test-integration INTEGRATION_TESTS="nginx_stream hostile_peers"
#   INTEG_KEEP=1 make test-integration    keep configs and logs for a look

INTEGRATION_TESTS ?=

.PHONY: test-integration
test-integration: all
	bash tests/integration/run.sh $(B)/bin $(INTEGRATION_TESTS)

CHECKS += test-integration
