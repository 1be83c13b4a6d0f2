"""labctl: hands-on backend-development labs in local containers."""

__version__ = "0.1.0"
