"""The rest.* checks: the learner's own REST API (any language, any framework) judged by its behaviour."""
