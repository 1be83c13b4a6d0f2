"""The jwt.* checks: the JSON Web Tokens a learner's app issues and how it verifies the ones it receives,
judged with the lab's own secret."""
