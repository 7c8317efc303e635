pytest_plugins = ["wenze.testing.pytest_plugin", "wenze.testing.stack_plugin"]
