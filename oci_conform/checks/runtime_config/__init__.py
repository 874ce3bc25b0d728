"""Static checks of runtime-spec documents: config.json, state and features.

Entry points: ``engine.validate_config_document`` (a parsed document in, one
CaseResult per clause out) and ``engine.validate_parsed`` (with parse problems).
"""
