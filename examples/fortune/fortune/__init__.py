"""
fortune: an example service built on txluggage alone.
"""
