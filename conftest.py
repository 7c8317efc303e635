pytest_plugins = ["wenze_devtools.testing.pytest_plugin", "wenze_devtools.testing.stack_plugin"]
