"""The check families, importable as labctl.check_families.<family>.

They live in the top-level checks/ folder (one package per family: checks/sql/, checks/redis/ ...),
shipped inside the wheel as labctl/_bundled/checks. This package points its search path there, so
`import labctl.check_families.sql` loads checks/sql/__init__.py, and a family's modules import each
other with relative imports (`from .common import ...`), which editors and type checkers follow.
"""
from labctl.core import resources

__path__ = [str(resources.check_families_dir())]
