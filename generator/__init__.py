"""The code generator: api_spec.json -> backend_ai_client/_generated/.

``python -m generator`` validates the spec, builds the intermediate model
(``generator.model``) and renders the templates in ``templates/``.
"""
