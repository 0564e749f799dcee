"""One module per subcommand (discovered automatically; see :mod:`mrisr.cli.main`)."""
