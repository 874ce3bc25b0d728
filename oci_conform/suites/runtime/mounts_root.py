"""placeholder"""
CASES: list = []
