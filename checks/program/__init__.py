"""The program.* checks: the learner's own program, in any language, run with inputs and compared."""
from . import output  # noqa: F401  (importing a module registers its check types)
