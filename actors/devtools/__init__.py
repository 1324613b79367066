"""Development tools: the LOVE-manager-compatible hub, the frontend-like watch client, test hosts
in network namespaces. Only the command line and tests import them."""
