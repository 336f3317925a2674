"""One module per placement rule. Rules never import each other; `archfit.policy.registry`
lists them and `archfit.policy.engine` combines their results."""
