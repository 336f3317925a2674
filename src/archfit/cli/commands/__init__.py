"""One module per subcommand, each exposing `register(app)`."""
